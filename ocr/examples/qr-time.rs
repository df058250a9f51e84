//! CPU time of the QR search on whole images: `qr-time IMAGE...` prints, per image, the time of
//! `ocr::decode_qr` (mean of 20 calls, process CPU time) and of its steps at the default first-pass
//! size (grey conversion + downscale, rqrr prepare, grid search + decode), and what it decoded.
use ocr::Limits;

fn cpu_ms() -> f64 {
    // user+system CPU time of this process, from /proc/self/stat.
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ut: f64 = f.get(11).and_then(|x| x.parse().ok()).unwrap_or(0.0);
    let st: f64 = f.get(12).and_then(|x| x.parse().ok()).unwrap_or(0.0);
    (ut + st) * 1000.0 / 100.0
}

fn main() {
    const N: usize = 20;
    for p in std::env::args().skip(1) {
        let bytes = std::fs::read(&p).unwrap();
        let img = ocr::decode_image(&bytes, &Limits::default()).unwrap();
        let found = ocr::decode_qr(&img);
        let c0 = cpu_ms();
        for _ in 0..N {
            std::hint::black_box(ocr::decode_qr(std::hint::black_box(&img)));
        }
        let total = (cpu_ms() - c0) / N as f64;

        let (mut t_gray, mut t_prep, mut t_grids, mut n_grids) = (0.0, 0.0, 0.0, 0);
        for _ in 0..N {
            let c = cpu_ms();
            let gray = ocr::qr_gray(&img);
            let c1 = cpu_ms();
            let mut prepared = rqrr::PreparedImage::prepare(gray);
            let c2 = cpu_ms();
            let grids = prepared.detect_grids();
            n_grids = grids.len();
            for g in &grids {
                let _ = std::hint::black_box(g.decode());
            }
            let c3 = cpu_ms();
            t_gray += c1 - c;
            t_prep += c2 - c1;
            t_grids += c3 - c2;
        }
        let n = N as f64;
        println!(
            "{p}: {}x{} decode_qr {total:.1} ms (grey+downscale {:.1}, prepare {:.1}, grids+decode {:.1}; {n_grids} grids) -> {}",
            img.width(),
            img.height(),
            t_gray / n,
            t_prep / n,
            t_grids / n,
            found.map(|c| format!("{:?}", c.full_name.map(|f| f.value))).unwrap_or("nothing".into())
        );
    }
}
