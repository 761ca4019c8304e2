//! Temporary stand-in with the agreed API until the Graph client lands.
#![allow(dead_code, unused_variables)]

use std::time::Duration;

pub const API_VERSION: &str = "beta";

#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("{code}: {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
        request_id: Option<String>,
        client_request_id: String,
        date: Option<String>,
    },
    #[error("cancelled")]
    Cancelled,
}

impl GraphError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, GraphError::Api { status: 404, .. })
    }
    pub fn request_id(&self) -> Option<&str> {
        None
    }
}

pub struct CallOptions {
    pub deadline: tokio::time::Instant,
    pub retry_not_found: bool,
}

impl CallOptions {
    pub fn within(d: Duration) -> Self {
        CallOptions {
            deadline: tokio::time::Instant::now() + d,
            retry_not_found: false,
        }
    }
}

#[derive(Clone)]
pub struct GraphClient;

impl GraphClient {
    pub async fn get(
        &self,
        path: &str,
        opts: &CallOptions,
    ) -> Result<serde_json::Value, GraphError> {
        unimplemented!()
    }
    pub async fn list(
        &self,
        path: &str,
        opts: &CallOptions,
    ) -> Result<Vec<serde_json::Value>, GraphError> {
        unimplemented!()
    }
    pub async fn post(
        &self,
        path: &str,
        body: &serde_json::Value,
        opts: &CallOptions,
    ) -> Result<Option<serde_json::Value>, GraphError> {
        unimplemented!()
    }
    pub async fn patch(
        &self,
        path: &str,
        body: &serde_json::Value,
        opts: &CallOptions,
    ) -> Result<Option<serde_json::Value>, GraphError> {
        unimplemented!()
    }
    pub async fn put(
        &self,
        path: &str,
        body: &serde_json::Value,
        opts: &CallOptions,
    ) -> Result<Option<serde_json::Value>, GraphError> {
        unimplemented!()
    }
    pub async fn delete(&self, path: &str, opts: &CallOptions) -> Result<(), GraphError> {
        unimplemented!()
    }
    pub fn url(&self, path: &str) -> String {
        unimplemented!()
    }
    pub fn stop(&self) {}
}
