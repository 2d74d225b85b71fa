//! Dynatrace metadata enrichment: the `key=value` files that OneAgent and the Dynatrace operator
//! write, added as top-precedence dimensions, as the official clients do.

use std::path::Path;

use crate::model::RunDimension;

pub const DEFAULT_DIR: &str = "/var/lib/dynatrace/enrichment";

/// Lowest to highest precedence. The first line of the indirection file is the path of the
/// real metadata file (OneAgent writes it per process).
const HOST_FILE: &str = "dt_host_metadata.properties";
const METADATA_FILE: &str = "dt_metadata.properties";
const INDIRECTION_FILE: &str = "dt_metadata_e617c525669e072eebe3d0f08212e8f2.properties";

/// The pairs found under `dir`, lowest precedence first, each with the file it came from;
/// missing or unreadable files contribute nothing.
pub fn read_metadata(dir: &Path) -> Vec<RunDimension> {
    let mut pairs = Vec::new();
    for file in [HOST_FILE, METADATA_FILE] {
        if let Ok(text) = std::fs::read_to_string(dir.join(file)) {
            add_properties(&text, file, &mut pairs);
        }
    }
    let indirection = std::fs::read_to_string(dir.join(INDIRECTION_FILE)).ok();
    let target = indirection
        .as_deref()
        .and_then(|text| text.lines().next())
        .map(str::trim)
        .filter(|path| !path.is_empty());
    if let Some(text) = target.and_then(|path| std::fs::read_to_string(path).ok()) {
        add_properties(&text, INDIRECTION_FILE, &mut pairs);
    }
    pairs
}

fn add_properties(text: &str, file: &str, pairs: &mut Vec<RunDimension>) {
    for line in text.lines() {
        let Some((key, value)) = line.trim().split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() || value.is_empty() {
            continue;
        }
        pairs.push(RunDimension::new(key, value, file));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("kdm-enrichment-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn reads_all_three_files_with_the_indirection_winning() {
        let dir = temp_dir("all");
        std::fs::write(
            dir.join(HOST_FILE),
            "dt.entity.host=HOST-1\nhost.name=node-a\n",
        )
        .unwrap();
        std::fs::write(
            dir.join(METADATA_FILE),
            "k8s.pod.name=jes-job-1\n\n=novalue\nnokey=\ngarbage\nhost.name=node-b\n",
        )
        .unwrap();
        let real = dir.join("real.properties");
        std::fs::write(
            &real,
            "dt.entity.process_group_instance=PGI-7\nk8s.pod.name=x=y\n",
        )
        .unwrap();
        std::fs::write(
            dir.join(INDIRECTION_FILE),
            format!("{}\nignored\n", real.display()),
        )
        .unwrap();

        let pairs: Vec<(String, String)> =
            crate::model::merge_pairs(read_metadata(&dir).into_iter().map(|d| (d.key, d.value)));
        assert_eq!(
            pairs,
            vec![
                ("dt.entity.host".into(), "HOST-1".into()),
                ("host.name".into(), "node-b".into()),
                ("k8s.pod.name".into(), "x=y".into()),
                ("dt.entity.process_group_instance".into(), "PGI-7".into()),
            ]
        );
        assert_eq!(read_metadata(&dir)[0].source, HOST_FILE);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn nothing_there_is_no_error() {
        let dir = temp_dir("empty");
        std::fs::write(dir.join(INDIRECTION_FILE), "/nonexistent/file\n").unwrap();
        assert!(read_metadata(&dir).is_empty());
        assert!(read_metadata(&dir.join("missing")).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
