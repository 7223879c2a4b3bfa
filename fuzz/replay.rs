//! Replays every file of `fuzz/corpus/<target>/` through the fuzz targets'
//! bodies as an ordinary `cargo test`, so CI needs neither nightly nor
//! cargo-fuzz. Crashes that libFuzzer found are kept in the corpus too.
//!
//!     cargo test -p itsdangerous-core --test fuzz_corpus                  # fuzz/corpus
//!     FUZZ_CORPUS=fuzz/target/work cargo test -p itsdangerous-core --test fuzz_corpus

mod checks;

use std::path::Path;

#[test]
fn corpus_replays_without_panics() {
    // FUZZ_CORPUS=<dir> replays another corpus tree (e.g. cargo fuzz's work dirs).
    let root = match std::env::var_os("FUZZ_CORPUS") {
        Some(dir) => dir.into(),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus"),
    };
    let mut total = 0;
    for (name, check) in checks::TARGETS {
        let dir = root.join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no corpus for {name}");
        for path in &files {
            let data = std::fs::read(path).unwrap();
            let run = std::panic::catch_unwind(|| check(&data));
            assert!(run.is_ok(), "{name}: {} panicked", path.display());
        }
        println!("{name}: {} inputs", files.len());
        total += files.len();
    }
    println!("replayed {total} corpus inputs");
}

#[test]
fn edge_inputs() {
    // Inputs every target must survive, corpus or not.
    let mut inputs: Vec<Vec<u8>> = vec![
        vec![],
        vec![0],
        vec![b'.'],
        b"..".to_vec(),
        vec![0xff; 64],
        b"=".repeat(9),
        "ñ".repeat(7).into_bytes(),
        b"[".repeat(10_000),
        b"{\"a\":".repeat(300),
        b"9".repeat(5000),
    ];
    for i in 0..=255u8 {
        inputs.push(vec![i, b'.', b'x']);
    }
    for (_, check) in checks::TARGETS {
        for input in &inputs {
            check(input);
        }
    }
}
