#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| lookout_fuzz::run("ingest_auto", data));
