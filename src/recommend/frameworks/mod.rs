//! TEMPORARY stub, replaced by the real renderers.
use super::model::*;
pub fn render(framework: Framework, rec: &Recommendation, _t: &Topology) -> FrameworkConfig {
    FrameworkConfig {
        framework,
        language: "text".into(),
        snippet: format!("recycle = {}\n", rec.recycle_s),
        settings: vec![],
    }
}
pub fn current_from_check(_f: Framework, pairs: &[(String, String)]) -> Result<Current, String> {
    let get = |k: &str| pairs.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    Ok(Current {
        recycle_s: get("pool_recycle")
            .and_then(|v| v.parse().ok())
            .filter(|v: &f64| *v >= 0.0),
        idle_timeout_s: None,
        pre_ping: get("pool_pre_ping").is_some_and(|v| v == "true"),
        read_timeout_s: get("read_timeout").and_then(|v| v.parse().ok()),
        max_per_process: Some(15),
    })
}
pub fn check_keys(_f: Framework) -> &'static [&'static str] {
    &["pool_recycle"]
}
