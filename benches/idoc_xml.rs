//! Throughput of the IDoc XML path on one core: a bizplay 0411A response mapped to postings
//! and written as one ACC_DOCUMENT03 packet, in documents and megabytes of XML per second.
//!
//! `cargo bench --bench idoc_xml` runs criterion's measurements, then prints a plain summary
//! line; `-- --measurement-time 2` shortens them.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use bizsap::mapping::Rules;
use bizsap::preview::Preview;
use bizsap::sap::idoc::{IdocPartners, IdocSchema, IdocWriter};
use criterion::{Criterion, Throughput};

struct Example {
    rules: Rules,
    body: String,
}

impl Example {
    fn load() -> Example {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let rules = Rules::load(&root.join("examples/rules.toml")).expect("example rules");
        let body = std::fs::read_to_string(root.join("examples/bizplay-0411A.json"))
            .expect("example response");
        Example { rules, body }
    }

    fn map(&self) -> Preview {
        Preview::build(&self.rules, &self.body).expect("the example maps")
    }
}

/// Writes every posting of `preview` into `out`; the number of documents written.
fn write(preview: &Preview, writer: &IdocWriter<'_>, out: &mut Vec<u8>) -> usize {
    out.clear();
    let notes = preview
        .write_idoc_xml(&mut *out, writer)
        .expect("the packet is written");
    preview.postings().count() - notes.refused.len() - notes.without_original.len()
}

fn main() {
    let example = Example::load();
    let writer = IdocWriter::new(IdocSchema::acc_document03(), IdocPartners::default());
    let preview = example.map();
    let mut out = Vec::new();
    let documents = write(&preview, &writer, &mut out);
    let bytes = out.len();

    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("acc_document03");
    group.throughput(Throughput::Elements(documents as u64));
    group.bench_function("map_and_write_documents", |b| {
        b.iter(|| write(&example.map(), &writer, &mut out))
    });
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("map_and_write_bytes", |b| {
        b.iter(|| write(&example.map(), &writer, &mut out))
    });
    group.bench_function("write_only_bytes", |b| {
        b.iter(|| write(black_box(&preview), &writer, &mut out))
    });
    group.finish();
    criterion.final_summary();

    // `cargo test --benches` runs each benchmark once to see that it works; a summary
    // measured that way would mean nothing.
    if std::env::args().any(|arg| arg == "--bench") {
        summary(&example, &writer, documents, bytes);
    }
}

/// Maps and writes for about two seconds and prints the rates.
fn summary(example: &Example, writer: &IdocWriter<'_>, documents: usize, bytes: usize) {
    let mut out = Vec::with_capacity(bytes);
    let start = Instant::now();
    let mut rounds = 0u32;
    while start.elapsed() < Duration::from_secs(2) {
        black_box(write(&example.map(), writer, &mut out));
        rounds += 1;
    }
    let seconds = start.elapsed().as_secs_f64();
    let docs_per_second = f64::from(rounds) * documents as f64 / seconds;
    let megabytes_per_second = f64::from(rounds) * bytes as f64 / seconds / 1e6;
    println!(
        "map + write ACC_DOCUMENT03, one core: {docs_per_second:.0} docs/s, \
         {megabytes_per_second:.1} MB/s ({documents} documents, {bytes} bytes of XML per round)"
    );
}
