use super::*;

fn dimension(key: &str, value: &str, source: &str) -> RunDimension {
    RunDimension::new(key, value, source)
}

fn pair(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

#[test]
fn the_runs_context_wins_over_files_which_win_over_labels_and_metadata() {
    let resolved = resolve(
        vec![
            (
                Rank::Default,
                vec![dimension("team", "core", "DEFAULT_DIMENSIONS")],
            ),
            (
                Rank::LabelsAndMetadata,
                vec![
                    dimension("Stage", "meta", "KEPTN_CONTEXT metadata.Stage"),
                    dimension("ci_platform", "fake", "KEPTN_CONTEXT metadata.ci_platform"),
                    dimension("stage", "label", "LABELS_STAGE"),
                    dimension("keptn_app", "label", "LABELS_KEPTN_APP"),
                ],
            ),
            (
                Rank::MetadataFiles,
                vec![dimension("host.name", "node-1", "dt_metadata.properties")],
            ),
            (
                Rank::Context,
                vec![
                    dimension("ci_platform", "keptn", "ci_platform"),
                    dimension("keptn_app", "shop", "KEPTN_CONTEXT appName"),
                ],
            ),
        ],
        None,
    )
    .unwrap();
    assert_eq!(resolved.defaults, vec![pair("team", "core")]);
    assert_eq!(
        resolved.run,
        vec![
            pair("ci_platform", "keptn"),
            pair("keptn_app", "shop"),
            pair("stage", "label"),
            pair("host.name", "node-1"),
        ]
    );
    let warnings: Vec<(String, Code)> = resolved
        .warnings
        .iter()
        .map(|w| (w.origin.to_string(), w.code))
        .collect();
    assert_eq!(
        warnings,
        vec![
            (
                "KEPTN_CONTEXT metadata.Stage".to_owned(),
                Code::DimensionKeyCollision
            ),
            (
                "KEPTN_CONTEXT metadata.ci_platform".to_owned(),
                Code::DimensionOverridden
            ),
            ("LABELS_KEPTN_APP".to_owned(), Code::DimensionOverridden),
        ]
    );
    assert!(
        resolved.warnings[2]
            .text
            .contains("the run's context is not overridden"),
        "{}",
        resolved.warnings[2].text
    );
}

#[test]
fn what_normalising_drops_or_cuts_is_warned_with_its_source() {
    let long = "v".repeat(300);
    let resolved = resolve(
        vec![(
            Rank::LabelsAndMetadata,
            vec![
                dimension("...", "x", "KEPTN_CONTEXT metadata...."),
                dimension("note", &long, "KEPTN_CONTEXT metadata.note"),
                dimension("empty", "", "KEPTN_CONTEXT metadata.empty"),
            ],
        )],
        None,
    )
    .unwrap();
    let warnings: Vec<(String, Code)> = resolved
        .warnings
        .iter()
        .map(|w| (w.origin.to_string(), w.code))
        .collect();
    assert_eq!(
        warnings,
        vec![
            (
                "KEPTN_CONTEXT metadata....".to_owned(),
                Code::DimensionDropped
            ),
            (
                "KEPTN_CONTEXT metadata.note".to_owned(),
                Code::DimensionValueTruncated
            ),
        ]
    );
    assert_eq!(resolved.run, vec![pair("note", &long)]);
}

#[test]
fn a_dimension_that_carries_the_token_is_refused_without_showing_it() {
    let token = Secret::new("dt0c01.SENTINEL.SECRET".into());
    for (key, value) in [
        ("buildid", "dt0c01.SENTINEL.SECRET"),
        ("buildid", "x-DT0C01.sentinel.secret-y"),
        ("dt0c01.SENTINEL.SECRET", "1"),
    ] {
        let error = resolve(
            vec![(
                Rank::LabelsAndMetadata,
                vec![dimension(key, value, "--label #1")],
            )],
            Some(&token),
        )
        .unwrap_err()
        .to_string();
        assert!(error.starts_with("--label #1: "), "{error}");
        assert!(error.contains("API token"), "{error}");
        assert!(!error.to_lowercase().contains("sentinel"), "{error}");
    }
    let clean = resolve(
        vec![(
            Rank::Default,
            vec![dimension("team", "core", "DEFAULT_DIMENSIONS")],
        )],
        Some(&token),
    );
    assert!(clean.is_ok());
}

#[test]
fn more_dimensions_than_a_line_may_have_are_refused_once_saying_where_they_came_from() {
    let metadata: Vec<RunDimension> = (0..8000)
        .map(|i| {
            dimension(
                &format!("k{i}"),
                "v",
                &format!("KEPTN_CONTEXT metadata.k{i}"),
            )
        })
        .collect();
    let error = resolve(
        vec![
            (
                Rank::Default,
                vec![dimension("team", "core", "DEFAULT_DIMENSIONS")],
            ),
            (Rank::LabelsAndMetadata, metadata),
            (
                Rank::Context,
                vec![dimension("ci_platform", "keptn", "ci_platform")],
            ),
        ],
        None,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        error,
        "8002 dimensions would be on every line (1 from the run's context, 8000 from labels and \
         metadata, 1 from default dimensions): Dynatrace takes at most 50 per line, so every \
         line would be refused; leave some out"
    );
    let fifty: Vec<RunDimension> = (0..50)
        .map(|i| dimension(&format!("k{i}"), "v", "LABELS"))
        .collect();
    assert!(resolve(vec![(Rank::LabelsAndMetadata, fifty)], None).is_ok());
}
