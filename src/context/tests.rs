use super::*;

fn github_vars() -> github::Variables {
    github::Variables {
        github_actions: Some("true".into()),
        github_repository: Some("acme/shop".into()),
        github_workflow: Some("load test".into()),
        github_ref_name: Some("main".into()),
        github_job: Some("k6".into()),
        github_run_id: Some("9876543210".into()),
        github_run_number: Some("42".into()),
        github_run_attempt: Some("2".into()),
        github_sha: Some("0123456789abcdef0123456789abcdef01234567".into()),
        github_server_url: Some("https://github.com".into()),
        ..Default::default()
    }
}

fn dimensions(context: &Context) -> Vec<(&str, &str)> {
    context
        .dimensions
        .iter()
        .map(|d| (d.key.as_str(), d.value.as_str()))
        .collect()
}

fn job_executor() -> keptn::Context {
    keptn::Context {
        project: Some("sockshop".into()),
        ..keptn::Context::default()
    }
}

#[test]
fn the_platform_comes_from_the_flag_then_a_keptn_context_then_a_detected_ci_then_keptn() {
    let ci = CiVariables {
        github: github_vars(),
        ..CiVariables::default()
    };
    let none = keptn::Context::default();
    let detected = read(None, &none, &ci);
    assert_eq!(
        (detected.platform.as_str(), detected.read_from.as_str()),
        ("github_actions", "GITHUB_ACTIONS=true")
    );
    let keptn = read(None, &job_executor(), &ci);
    assert_eq!(
        dimensions(&keptn),
        vec![("ci_platform", "keptn"), ("keptn_project", "sockshop")]
    );
    assert_eq!(keptn.run, RunInfo::default(), "the CI's run is not read");
    let chosen = read(Some("Jenkins"), &job_executor(), &ci);
    assert_eq!(dimensions(&chosen), vec![("ci_platform", "jenkins")]);
    assert_eq!(chosen.read_from, "--ci-platform");
    let other = read(Some("tekton"), &job_executor(), &ci);
    assert_eq!(dimensions(&other), vec![("ci_platform", "tekton")]);
    let default = read(None, &none, &CiVariables::default());
    assert_eq!(dimensions(&default), vec![("ci_platform", "keptn")]);
    assert_eq!(default.read_from, "default: no Keptn context or CI found");
}

#[test]
fn each_ci_gives_its_context_as_dimensions_and_what_identifies_the_run_apart() {
    let none = keptn::Context::default();
    let github = read(
        None,
        &none,
        &CiVariables {
            github: github_vars(),
            ..CiVariables::default()
        },
    );
    assert_eq!(
        dimensions(&github),
        vec![
            ("ci_platform", "github_actions"),
            ("ci_repository", "acme/shop"),
            ("ci_pipeline", "load test"),
            ("ci_branch", "main"),
            ("ci_job", "k6"),
        ]
    );
    assert_eq!(
        github.run.run_url.as_deref(),
        Some("https://github.com/acme/shop/actions/runs/9876543210")
    );
    let pull_request = github::Variables {
        github_ref_name: Some("17/merge".into()),
        github_head_ref: Some("feature/x".into()),
        ..github_vars()
    };
    let branch = pull_request.context().dimensions[2].clone();
    assert_eq!(
        (branch.key.as_str(), branch.value.as_str()),
        ("ci_branch", "feature/x")
    );

    let gitlab = gitlab::Variables {
        gitlab_ci: Some("true".into()),
        ci_project_path: Some("acme/shop".into()),
        ci_commit_ref_name: Some("main".into()),
        ci_job_name: Some("load-test".into()),
        ci_pipeline_id: Some("1234".into()),
        ci_commit_sha: Some("abc".into()),
        ..Default::default()
    };
    let gitlab = read(
        None,
        &none,
        &CiVariables {
            gitlab,
            ..CiVariables::default()
        },
    );
    assert_eq!(
        dimensions(&gitlab),
        vec![
            ("ci_platform", "gitlab_ci"),
            ("ci_repository", "acme/shop"),
            ("ci_branch", "main"),
            ("ci_job", "load-test"),
        ]
    );
    assert_eq!(gitlab.run.run_id.as_deref(), Some("1234"));

    let jenkins = jenkins::Variables {
        jenkins_url: Some("https://ci.example.com/".into()),
        job_name: Some("shop/load-test".into()),
        git_branch: Some("origin/main".into()),
        build_number: Some("77".into()),
        ..Default::default()
    };
    let jenkins = read(
        None,
        &none,
        &CiVariables {
            jenkins,
            ..CiVariables::default()
        },
    );
    assert_eq!(
        dimensions(&jenkins),
        vec![
            ("ci_platform", "jenkins"),
            ("ci_pipeline", "shop/load-test"),
            ("ci_branch", "main"),
        ]
    );

    let azure = azure::Variables {
        tf_build: Some("True".into()),
        system_teamproject: Some("Shop Project".into()),
        build_repository_name: Some("shop".into()),
        build_definitionname: Some("load-test".into()),
        build_sourcebranch: Some("refs/heads/feature/login".into()),
        system_jobdisplayname: Some("Run k6".into()),
        build_buildid: Some("555".into()),
        system_collectionuri: Some("https://dev.azure.com/acme/".into()),
        ..Default::default()
    };
    let azure = read(
        None,
        &none,
        &CiVariables {
            azure,
            ..CiVariables::default()
        },
    );
    assert_eq!(
        dimensions(&azure),
        vec![
            ("ci_platform", "azure_pipelines"),
            ("ci_project", "Shop Project"),
            ("ci_repository", "shop"),
            ("ci_pipeline", "load-test"),
            ("ci_branch", "feature/login"),
            ("ci_job", "Run k6"),
        ]
    );
    assert_eq!(
        azure.run.run_url.as_deref(),
        Some("https://dev.azure.com/acme/Shop%20Project/_build/results?buildId=555")
    );

    let argo = argo::Variables {
        argo_workflow_name: Some("load-test-x7k2p".into()),
        argo_node_id: Some("load-test-x7k2p-1234567".into()),
    };
    let argo = read(
        None,
        &none,
        &CiVariables {
            argo,
            ..CiVariables::default()
        },
    );
    assert_eq!(dimensions(&argo), vec![("ci_platform", "argo_workflows")]);
    assert_eq!(argo.run.run_id.as_deref(), Some("load-test-x7k2p"));
}

#[test]
fn event_properties_are_the_context_and_the_run_as_string_pairs() {
    let ci = CiVariables {
        github: github_vars(),
        ..CiVariables::default()
    };
    let properties = read(None, &keptn::Context::default(), &ci).event_properties();
    let get = |key: &str| {
        properties
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("ci_platform"), Some("github_actions"));
    assert_eq!(get("ci_repository"), Some("acme/shop"));
    assert_eq!(get("ci_run_id"), Some("9876543210"));
    assert_eq!(get("ci_run_number"), Some("42"));
    assert_eq!(get("ci_run_attempt"), Some("2"));
    assert_eq!(
        get("ci_commit"),
        Some("0123456789abcdef0123456789abcdef01234567")
    );
    assert_eq!(
        get("ci_run_url"),
        Some("https://github.com/acme/shop/actions/runs/9876543210")
    );
    assert_eq!(properties.len(), 10);

    let task = keptn::Context {
        keptn_context: keptn::KeptnContext::parse(
            r#"{"appName":"shop","metadata":{"stage":"prod","traceparent":"00-1-2-01"}}"#,
        )
        .unwrap(),
        ..keptn::Context::default()
    };
    let keptn = read(None, &task, &ci).event_properties();
    assert_eq!(
        keptn,
        vec![
            ("ci_platform".to_owned(), "keptn".to_owned()),
            ("keptn_app".to_owned(), "shop".to_owned()),
            ("stage".to_owned(), "prod".to_owned()),
            ("traceparent".to_owned(), "00-1-2-01".to_owned()),
        ]
    );
}
