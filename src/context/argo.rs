//! Argo Workflows: what its controller puts into the main container of a step's pod. Every
//! version sets `ARGO_NODE_ID` (the step in this run); recent ones also `ARGO_WORKFLOW_NAME`.
//! A Workflow object is one run, usually named by `generateName` with a random suffix (or a
//! CronWorkflow's name and a timestamp), so its name is the run's ID, not a dimension; a stable
//! pipeline name comes from `--dimension ci_pipeline=...` (e.g. the WorkflowTemplate's name).

use serde::Deserialize;

use super::{CiContext, RunInfo};

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Variables {
    pub argo_workflow_name: Option<String>,
    pub argo_node_id: Option<String>,
}

impl Variables {
    pub fn detected(&self) -> bool {
        self.argo_node_id.is_some() || self.argo_workflow_name.is_some()
    }

    pub fn context(&self) -> CiContext {
        CiContext {
            dimensions: Vec::new(),
            run: RunInfo {
                run_id: self.argo_workflow_name.clone(),
                job_id: self.argo_node_id.clone(),
                ..RunInfo::default()
            },
        }
    }
}
