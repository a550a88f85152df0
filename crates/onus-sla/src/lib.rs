//! SLA clocks, qualifying-patch evaluation and time-to-fix reports over advisory histories
//! (model.md §5; owned by the SLA engineer; the advisory engineer should not edit this crate).
//!
//! Work in progress: the clock engine, policy, fleet evaluation and report land here.
