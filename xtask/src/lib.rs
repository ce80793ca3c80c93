//! Project automation shared by the `cargo xtask` binary and the tests (which run the same
//! drift check CI runs).

pub mod api;
pub mod bench;
pub mod codegen;
pub mod fuzz;
pub mod pcap_writer;
pub mod peers;
pub mod sample;
pub mod test;
