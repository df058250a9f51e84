//! Runs the PP-OCR engine on fixture cards when the models are installed
//! (`scripts/fetch-models.sh ocr/models` or $CARDCRM_MODELS_DIR); skips with a message otherwise.

use std::path::{Path, PathBuf};

use ocr::{decode_image, parse_card, Engine, Limits, OcrError, PaddleEngine, ParseHints};

fn models_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("CARDCRM_MODELS_DIR").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("models")),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../models")),
    ];
    candidates.into_iter().flatten().find(|d| ocr::MODEL_FILES.iter().all(|f| d.join(f).is_file()))
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cards").join(rel)
}

/// The models folder, or `None` (and a SKIP line) when the models are not installed.
fn models_or_skip() -> Option<PathBuf> {
    let dir = models_dir();
    if dir.is_none() {
        eprintln!("SKIP: OCR models not installed — run scripts/fetch-models.sh ocr/models");
    }
    dir
}

fn engine() -> Option<PaddleEngine> {
    models_or_skip().map(|d| PaddleEngine::load(&d).expect("models load"))
}

fn read(e: &PaddleEngine, img: &image::DynamicImage) -> ocr::ParsedCard {
    let lines = e.recognize(img).expect("recognize");
    parse_card(&lines, &ParseHints::default())
}

fn load(rel: &str) -> image::DynamicImage {
    decode_image(&std::fs::read(fixture(rel)).unwrap(), &Limits::default()).unwrap()
}

#[test]
fn missing_model_error_names_the_fetch_command() {
    let dir = std::env::temp_dir().join("ocr-no-models-here");
    let _ = std::fs::create_dir_all(&dir);
    let err = PaddleEngine::load(&dir).expect_err("must fail");
    assert!(matches!(err, OcrError::ModelMissing { .. }));
    assert!(err.to_string().contains("scripts/fetch-models.sh"), "{err}");
}

#[test]
fn reads_real_contoso_card() {
    let Some(e) = engine() else { return };
    let c = read(&e, &load("real/contoso-chris.jpg"));
    assert_eq!(c.full_name.unwrap().value, "Chris Smith");
    assert_eq!(c.emails[0].value, "chris.smith@contoso.com");
    assert_eq!(c.position.unwrap().value, "Senior Researcher");
    let phones: Vec<(String, String)> =
        c.phones.iter().map(|p| (p.kind.clone(), p.e164.clone().unwrap_or_default())).collect();
    assert!(phones.contains(&("mobile".into(), "+19871234567".into())), "{phones:?}");
    assert!(phones.contains(&("fax".into(), "+19873126745".into())), "{phones:?}");
}

#[test]
fn reads_synthetic_cards_and_sideways_or_upside_down_photos() {
    let Some(e) = engine() else { return };
    let img = load("synthetic/easy/card-000.jpg");
    for (label, variant) in
        [("upright", img.clone()), ("90° cw", img.rotate90()), ("180°", img.rotate180()), ("270° cw", img.rotate270())]
    {
        let lines = e.recognize(&variant).unwrap();
        let c = parse_card(&lines, &ParseHints::default());
        assert_eq!(c.full_name.as_ref().map(|f| f.value.as_str()), Some("Bianca Lee"), "{label}: {lines:#?}");
        assert_eq!(c.emails.first().map(|f| f.value.as_str()), Some("bianca.lee@bradshawmcdona.ru"), "{label}");
        assert_eq!(c.phones.first().and_then(|p| p.e164.as_deref()), Some("+19178570839"), "{label}");
        // Boxes are in the coordinates of the image given.
        for l in &lines {
            for p in l.quad {
                assert!(
                    p.x > -20.0
                        && p.y > -20.0
                        && p.x < variant.width() as f32 + 20.0
                        && p.y < variant.height() as f32 + 20.0,
                    "{label}: {p:?}"
                );
            }
        }
    }
    let c = read(&e, &load("synthetic/hard/card-002.jpg"));
    assert_eq!(c.company.unwrap().value, "Klemt AG & Co. KG");
    assert_eq!(c.website.unwrap().value, "www.klemtagcokg.ru");
}

#[cfg(feature = "tesseract")]
#[test]
fn russian_card_falls_back_to_tesseract() {
    let Some(d) = models_or_skip() else { return };
    let p = ocr::default_pipeline(&d).unwrap();
    let bytes = std::fs::read(fixture("synthetic/easy/card-004.jpg")).unwrap();
    let (c, r) = ocr::read_card(&p, &bytes, &Limits::default(), &ParseHints::default()).unwrap();
    assert!(r.engine.starts_with("tesseract"), "{:?}", r.tried);
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("synthetic/easy/card-004.json")).unwrap()).unwrap();
    assert_eq!(c.full_name.unwrap().value, truth["full_name"].as_str().unwrap());
    assert_eq!(c.emails[0].value, truth["emails"][0].as_str().unwrap());
}

#[test]
fn the_recogniser_cut_to_card_characters_reads_what_the_whole_one_reads() {
    let Some(d) = models_or_skip() else { return };
    let cut = PaddleEngine::load(&d).unwrap();
    let whole =
        PaddleEngine::load_with(&d, ocr::PaddleOptions { rec_card_characters: false, ..Default::default() }).unwrap();
    // A US card, a German one with umlauts, a Russian one (its Cyrillic look-alikes must survive
    // the cut: they are what sends a card to Tesseract) and a real photo.
    for rel in [
        "synthetic/easy/card-000.jpg",
        "synthetic/hard/card-003.jpg",
        "synthetic/easy/card-004.jpg",
        "real/contoso-chris.jpg",
    ] {
        let img = load(rel);
        let a: Vec<String> = cut.recognize(&img).unwrap().into_iter().map(|l| l.text).collect();
        let b: Vec<String> = whole.recognize(&img).unwrap().into_iter().map(|l| l.text).collect();
        assert_eq!(a, b, "{rel}");
    }
}

/// The longest line read confidently as it stands stands for the page being upright, and the
/// orientation classifier is skipped (`cls_skip_confidence`): the lines must be exactly what the
/// classifier path reads, the right way up, on cards photographed upright, sideways and upside
/// down (where the first reading is poor and the classifier still decides).
#[test]
fn skipping_the_classifier_for_a_confident_first_line_reads_the_same_lines() {
    let Some(d) = models_or_skip() else { return };
    let skip = PaddleEngine::load(&d).unwrap();
    assert!(skip.options().cls_skip_confidence <= 1.0, "on by default");
    let always =
        PaddleEngine::load_with(&d, ocr::PaddleOptions { cls_skip_confidence: 2.0, ..Default::default() }).unwrap();
    for rel in ["synthetic/easy/card-001.jpg", "synthetic/hard/card-003.jpg", "real/contoso-chris.jpg"] {
        let img = load(rel);
        for (label, variant) in [
            ("upright", img.clone()),
            ("90° cw", img.rotate90()),
            ("180°", img.rotate180()),
            ("270° cw", img.rotate270()),
        ] {
            let a = skip.recognize(&variant).unwrap();
            let b = always.recognize(&variant).unwrap();
            let texts = |ls: &[ocr::Line]| ls.iter().map(|l| l.text.clone()).collect::<Vec<_>>();
            assert_eq!(texts(&a), texts(&b), "{rel} {label}");
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(x.quad, y.quad, "{rel} {label}: {}", x.text);
            }
        }
    }
}

#[test]
fn the_engine_loaded_from_bytes_reads_what_the_one_loaded_from_files_reads() {
    // The browser build (ocr-web) has no filesystem: it hands the fetched files over as bytes.
    let Some(dir) = models_or_skip() else { return };
    let files = PaddleEngine::load(&dir).unwrap();
    let f = |i: usize| std::fs::read(dir.join(ocr::MODEL_FILES[i])).unwrap();
    let keys = String::from_utf8(f(3)).unwrap();
    let bytes = PaddleEngine::from_bytes(f(0), f(1), f(2), &keys, ocr::PaddleOptions::default()).unwrap();
    for rel in ["synthetic/easy/card-000.jpg", "real/contoso-chris.jpg"] {
        let img = load(rel);
        let mut stages = Vec::new();
        let a = files.recognize(&img).unwrap();
        let b = bytes.recognize_staged(&img, &mut |s| stages.push(s)).unwrap();
        assert_eq!(a, b, "{rel}");
        assert_eq!(stages, [ocr::Stage::Detecting, ocr::Stage::Recognising], "{rel}");
    }
    let err = PaddleEngine::from_bytes(vec![1, 2, 3], f(1), f(2), &keys, ocr::PaddleOptions::default())
        .expect_err("not a model");
    assert!(err.to_string().contains("ppocrv5_det.onnx"), "{err}");
}
