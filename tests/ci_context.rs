//! The pipeline's context, whatever runs the binary: each CI is detected from its own
//! variables and gives `ci_platform`, the repository or project, the pipeline, the branch and
//! the job as dimensions, never what changes every run (run ID, number, commit, URLs); a Keptn
//! context wins over a CI; `--ci-platform` wins over all. The report says which was read.

#[allow(dead_code)]
mod support;

use support::{EnvVars, Workdir};

/// A CI's variables, and what identifies one run there (which no line may carry).
struct Ci {
    name: &'static str,
    vars: EnvVars<'static>,
    per_run: &'static [&'static str],
    dimensions: &'static str,
    read_from: &'static str,
}

fn cis() -> Vec<Ci> {
    vec![
        Ci {
            name: "github_actions",
            vars: vec![
                ("CI", "true"),
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_REPOSITORY", "acme/shop"),
                ("GITHUB_WORKFLOW", "Load test"),
                ("GITHUB_REF_NAME", "main"),
                ("GITHUB_HEAD_REF", ""),
                ("GITHUB_JOB", "k6"),
                ("GITHUB_RUN_ID", "9876543210"),
                ("GITHUB_RUN_NUMBER", "421"),
                ("GITHUB_RUN_ATTEMPT", "3"),
                ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
                ("GITHUB_SERVER_URL", "https://github.com"),
            ],
            per_run: &["9876543210", "421", "0123456789abcdef", "actions/runs"],
            dimensions: "ci_platform=github_actions,ci_repository=acme/shop,\
                         ci_pipeline=Load\\ test,ci_branch=main,ci_job=k6",
            read_from: "GITHUB_ACTIONS=true",
        },
        Ci {
            name: "gitlab_ci",
            vars: vec![
                ("CI", "true"),
                ("GITLAB_CI", "true"),
                ("CI_PROJECT_PATH", "acme/shop"),
                ("CI_COMMIT_REF_NAME", "release-1.2"),
                ("CI_JOB_NAME", "load-test"),
                ("CI_ENVIRONMENT_NAME", "staging"),
                ("CI_PIPELINE_ID", "55501234"),
                ("CI_PIPELINE_IID", "3172"),
                (
                    "CI_PIPELINE_URL",
                    "https://gitlab.com/acme/shop/-/pipelines/55501234",
                ),
                ("CI_JOB_ID", "77709876"),
                ("CI_JOB_URL", "https://gitlab.com/acme/shop/-/jobs/77709876"),
                ("CI_COMMIT_SHA", "fedcba9876543210fedcba9876543210fedcba98"),
            ],
            per_run: &["55501234", "3172", "77709876", "fedcba98765", "/-/"],
            dimensions: "ci_platform=gitlab_ci,ci_repository=acme/shop,ci_branch=release-1.2,\
                         ci_job=load-test,ci_environment=staging",
            read_from: "GITLAB_CI=true",
        },
        Ci {
            name: "jenkins",
            vars: vec![
                ("JENKINS_URL", "https://jenkins.example.com/"),
                ("JOB_NAME", "shop/load-test"),
                ("BRANCH_NAME", "main"),
                ("BUILD_ID", "8813"),
                ("BUILD_NUMBER", "8813"),
                ("BUILD_TAG", "jenkins-shop-load-test-8813"),
                (
                    "BUILD_URL",
                    "https://jenkins.example.com/job/shop/job/load-test/8813/",
                ),
                ("GIT_COMMIT", "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"),
            ],
            per_run: &["8813", "a1b2c3d4e5f6", "jenkins.example.com"],
            dimensions: "ci_platform=jenkins,ci_pipeline=shop/load-test,ci_branch=main",
            read_from: "JENKINS_URL",
        },
        Ci {
            name: "azure_pipelines",
            vars: vec![
                ("TF_BUILD", "True"),
                ("SYSTEM_TEAMPROJECT", "Shop"),
                ("BUILD_REPOSITORY_NAME", "shop-api"),
                ("BUILD_DEFINITIONNAME", "shop-load-test"),
                ("BUILD_SOURCEBRANCH", "refs/heads/feature/login"),
                ("BUILD_SOURCEBRANCHNAME", "login"),
                ("SYSTEM_JOBDISPLAYNAME", "Run k6"),
                ("BUILD_BUILDID", "24680"),
                ("BUILD_BUILDNUMBER", "20261122.7"),
                ("SYSTEM_JOBATTEMPT", "2"),
                (
                    "BUILD_SOURCEVERSION",
                    "99887766554433221100aabbccddeeff00112233",
                ),
                ("SYSTEM_COLLECTIONURI", "https://dev.azure.com/acme/"),
            ],
            per_run: &["24680", "20261122", "9988776655", "dev.azure.com"],
            dimensions: "ci_platform=azure_pipelines,ci_project=Shop,ci_repository=shop-api,\
                         ci_pipeline=shop-load-test,ci_branch=feature/login,ci_job=Run\\ k6",
            read_from: "TF_BUILD=True",
        },
    ]
}

fn dry_run(vars: &EnvVars, args: &[&str]) -> support::Output {
    let dir = Workdir::new("ci-context");
    let mut cli = dir.cli();
    for (name, value) in vars {
        cli = cli.env(name, value);
    }
    cli.args(["--dry-run", "-m", "deployed=1"]).args(args).run()
}

#[test]
fn each_ci_alone_gives_its_context_on_every_line_and_nothing_per_run() {
    for ci in cis() {
        let out = dry_run(&ci.vars, &[]);
        out.expect_code(0);
        assert_eq!(
            out.stdout,
            format!("keptn.deployed,{} gauge,1\n", ci.dimensions),
            "{}",
            ci.name
        );
        for per_run in ci.per_run {
            assert!(
                !out.stdout.contains(per_run),
                "{}: {per_run} in {}",
                ci.name,
                out.stdout
            );
        }
        assert!(
            out.stderr
                .contains(&format!("context: {} ({})", ci.name, ci.read_from)),
            "{}: {}",
            ci.name,
            out.stderr
        );
        let json = dry_run(&ci.vars, &["-o", "json"]).json();
        assert_eq!(json["context"]["platform"], ci.name);
        assert_eq!(json["context"]["read_from"], ci.read_from);
    }
}

#[test]
fn argo_workflows_names_the_platform_and_keeps_the_workflow_name_off_the_lines() {
    let vars = vec![
        ("ARGO_WORKFLOW_NAME", "load-test-x7k2p"),
        ("ARGO_NODE_ID", "load-test-x7k2p-3511216432"),
        ("ARGO_CONTAINER_NAME", "main"),
    ];
    let out = dry_run(&vars, &["--dimension", "ci_pipeline=load-test"]);
    out.expect_code(0);
    assert_eq!(
        out.stdout,
        "keptn.deployed,ci_pipeline=load-test,ci_platform=argo_workflows gauge,1\n"
    );
}

#[test]
fn a_keptn_context_wins_over_a_ci_and_the_flag_over_both() {
    let task = r#"{"workloadName":"carts","appName":"sockshop","appVersion":"1.0.0",
        "workloadVersion":"0.2.1","taskType":"post","objectType":"Workload"}"#;
    for ci in cis() {
        let mut vars = ci.vars.clone();
        vars.push(("KEPTN_CONTEXT", task));
        let out = dry_run(&vars, &[]);
        out.expect_code(0);
        assert_eq!(
            out.stdout,
            "keptn.deployed,ci_platform=keptn,keptn_app=sockshop,keptn_app_version=1.0.0,\
             keptn_workload=carts,keptn_workload_version=0.2.1,keptn_task_type=post,\
             keptn_object_type=Workload gauge,1\n",
            "{}",
            ci.name
        );
        let mut job_executor = ci.vars.clone();
        job_executor.push(("KEPTN_PROJECT", "sockshop"));
        let out = dry_run(&job_executor, &[]);
        assert_eq!(
            out.stdout, "keptn.deployed,ci_platform=keptn,keptn_project=sockshop gauge,1\n",
            "{}",
            ci.name
        );

        let out = dry_run(&vars, &["--ci-platform", "tekton"]);
        assert_eq!(
            out.stdout, "keptn.deployed,ci_platform=tekton gauge,1\n",
            "{}",
            ci.name
        );
        let json = dry_run(&vars, &["--ci-platform", "tekton", "-o", "json"]).json();
        assert_eq!(json["context"]["read_from"], "--ci-platform");
        vars.push(("DT_CI_PLATFORM", ci.name));
        let out = dry_run(&vars, &[]);
        assert_eq!(
            out.stdout,
            format!("keptn.deployed,{} gauge,1\n", ci.dimensions),
            "{}",
            ci.name
        );
    }
}

#[test]
fn labels_and_defaults_cannot_override_the_ci_context() {
    let ci = &cis()[0];
    let out = dry_run(
        &ci.vars,
        &[
            "--label",
            "ci_branch=spoofed",
            "--dimension",
            "ci_repository=default",
            "-o",
            "json",
        ],
    );
    out.expect_code(0);
    let json = out.json();
    let line = json["lines"]["payload"][0].as_str().unwrap();
    assert!(line.contains(",ci_branch=main,"), "{line}");
    assert!(line.contains(",ci_repository=acme/shop,"), "{line}");
    let warning = &json["lines"]["warnings"][0];
    assert_eq!(warning["input"], "--label #1");
    assert_eq!(warning["code"], "dimension_overridden");
}
