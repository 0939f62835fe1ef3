//! The test rig's own promises, which the other tests rely on.

use crate::common::{Sandbox, light};
use mysql::prelude::Queryable;

fn tmpdir_of(sb: &Sandbox) -> String {
    sb.admin()
        .query_first::<String, _>("SELECT @@global.tmpdir")
        .unwrap()
        .unwrap()
}

/// Every sandbox server keeps its temporary files in a directory of its own
/// inside its temp dir, never in the shared /tmp, where another sandbox's
/// bootstrap was seen to lose its temporary tables.
#[test]
fn every_sandbox_server_has_its_own_tmpdir() {
    let _connections = light();
    let shared = Sandbox::shared();
    let other = Sandbox::start(&[]);
    for sb in [shared, &other] {
        let tmp = tmpdir_of(sb);
        assert_eq!(tmp, sb.dir.join("tmp").display().to_string());
        assert!(std::path::Path::new(&tmp).is_dir(), "{tmp}");
    }
    assert_ne!(tmpdir_of(shared), tmpdir_of(&other));
}
