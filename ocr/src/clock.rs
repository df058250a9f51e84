//! Wall-clock timing that works in a browser too: `std::time::Instant::now` panics on
//! `wasm32-unknown-unknown`, where `web_time::Instant` reads `performance.now()` instead.

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub(crate) use std::time::Instant;
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub(crate) use web_time::Instant;
