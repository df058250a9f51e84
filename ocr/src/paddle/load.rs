//! Loading the PP-OCR models and the recogniser's dictionary (the characters a card can hold).

use super::*;

pub(super) fn need(dir: &Path, name: &str) -> Result<PathBuf, OcrError> {
    let p = dir.join(name);
    if p.is_file() {
        Ok(p)
    } else {
        Err(OcrError::ModelMissing { path: p.display().to_string(), cmd: FETCH_MODELS_COMMAND })
    }
}

pub(super) fn model_options() -> rten::ModelOptions {
    let mut o = rten::ModelOptions::with_all_ops();
    o.prepack_weights(true);
    o
}

pub(super) fn load_model(p: &Path) -> Result<Model, OcrError> {
    model_options().load_file(p).map_err(|e| OcrError::ModelLoad { path: p.display().to_string(), msg: e.to_string() })
}

/// Whether a dictionary entry can occur on a card in the languages cardcrm reads: Latin, Greek
/// and Cyrillic letters (the Cyrillic ones tell a Russian card apart), digits, punctuation,
/// symbols and pictographs (phone and mail icons), full-width forms (read as their ASCII twins),
/// and every entry that is not one character (the CTC blank, the space, flags). Not: the Chinese,
/// Japanese and Korean characters, 16,000 of the recogniser's 18,385 classes.
pub fn card_character(key: &str) -> bool {
    let mut cs = key.chars();
    let (Some(c), None) = (cs.next(), cs.next()) else { return true };
    matches!(
        c as u32,
        0..=0x052F | 0x1E00..=0x1EFF | 0x2000..=0x2BFF | 0x3000..=0x303F | 0xFF00..=0xFFEF | 0x1F000..=0x1FAFF
    )
}

/// The recogniser with its output layer (the weights and bias whose last axis has one entry per
/// dictionary class) cut down to the classes in `kept`, so the last matrix product and softmax
/// cost an eighth as much; the softmax is then over the kept classes. `None` when the model has
/// no such layer (another recogniser dropped in as data): it is then loaded whole. `name` labels
/// errors (the file's path, or its name when the bytes came from elsewhere). Owned bytes are freed
/// as soon as they are parsed.
pub(super) fn load_rec_kept(
    bytes: std::borrow::Cow<'_, [u8]>,
    name: &str,
    classes: usize,
    kept: &[usize],
) -> Result<Option<Model>, OcrError> {
    use rten_onnx::onnx::{DataType, ModelProto};
    let err = |msg: String| OcrError::ModelLoad { path: name.to_string(), msg };
    let mut proto = ModelProto::parse_buf(&bytes).map_err(|e| err(e.to_string()))?;
    drop(bytes);
    let Some(graph) = proto.graph.as_mut() else { return Ok(None) };
    let mut cut = 0;
    for t in graph.initializer.iter_mut() {
        if t.dims.last() != Some(&(classes as i64)) || t.data_type != Some(DataType::FLOAT) {
            continue;
        }
        let values: Vec<f32> = match &t.raw_data {
            Some(raw) => raw.borrow().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
            None => std::mem::take(&mut t.float_data),
        };
        if values.is_empty() || values.len() % classes != 0 {
            return Ok(None);
        }
        let mut raw = Vec::with_capacity(values.len() / classes * kept.len() * 4);
        for row in values.chunks_exact(classes) {
            for &k in kept {
                raw.extend_from_slice(&row[k].to_le_bytes());
            }
        }
        t.float_data.clear();
        t.raw_data = Some(std::cell::RefCell::new(raw));
        *t.dims.last_mut().expect("checked above") = kept.len() as i64;
        cut += 1;
    }
    if cut == 0 {
        return Ok(None);
    }
    // Shapes recorded for the output and intermediate values follow the cut.
    for v in graph.output.iter_mut().chain(graph.value_info.iter_mut()) {
        let dims = v.r#type.as_mut().and_then(|t| t.tensor_type.as_mut()).and_then(|t| t.shape.as_mut());
        for d in dims.into_iter().flat_map(|s| s.dim.iter_mut()) {
            if d.dim_value == Some(classes as i64) {
                d.dim_value = Some(kept.len() as i64);
            }
        }
    }
    let buf = proto.write_buf().map_err(|e| err(e.to_string()))?;
    model_options().load(buf).map(Some).map_err(|e| err(e.to_string()))
}

/// The recogniser's dictionary (index-aligned: line 0 is the CTC blank, the last line a space)
/// and, when the options ask for the cut recogniser and the dictionary has classes to cut, the
/// indexes of the classes kept (see [`card_character`]).
pub(super) fn dictionary(keys_text: &str, opts: &PaddleOptions) -> (Vec<String>, Option<Vec<usize>>) {
    let keys: Vec<String> = keys_text.lines().map(|l| l.to_string()).collect();
    let kept: Vec<usize> = (0..keys.len()).filter(|&i| card_character(&keys[i])).collect();
    let kept = (opts.rec_card_characters && kept.len() < keys.len()).then_some(kept);
    (keys, kept)
}
