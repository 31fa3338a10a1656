mod ingest_support;
#[test]
fn scratch() {
    let ds = ingest_support::datasets().unwrap();
    let (files, _) = lookout::ingest::expand_paths(&[ds]);
    for f in files {
        let n = f.file_name().unwrap().to_string_lossy().to_string();
        if n.starts_with("LICENSE")
            || n.starts_with("README")
            || n == "SOURCE.txt"
            || n.ends_with(".tsv")
        {
            continue;
        }
        let t = std::time::Instant::now();
        let reports = lookout::ingest::read_file(&f, &Default::default(), &mut |_| {});
        let el = t.elapsed().as_secs_f64();
        for r in reports {
            if r.format != Some(lookout::Format::Evtx) {
                println!(
                    "{:<14} {:>7} {:>6.3}s {:>10} {:?} {}",
                    r.format.map(|f| f.as_str()).unwrap_or("-"),
                    r.events,
                    el,
                    r.bytes,
                    r.skipped,
                    r.source.replace("/work/shared/datasets/", "")
                );
            }
        }
    }
}
