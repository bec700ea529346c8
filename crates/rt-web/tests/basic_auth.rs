//! Basic authentication: `parse` against the basic-auth npm package's rules run by `node`
//! (its two regular expressions and `Buffer.from(s, 'base64').toString()`, copied from
//! basic-auth 2.0.1 since npm packages are not installed here) on seeded headers, and the
//! middleware's 401 / WWW-Authenticate / success over loopback.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::exchange;
use rt_http::ServerResponse;
use rt_tests::rng::Rng;
use rt_tests::wait::within;
use rt_web::basic_auth::{self, BasicAuth, Credentials, User};
use rt_web::{HttpError, Request, Router};
use serde_json::{Value, json};

const NODE_SCRIPT: &str = r#"
// basic-auth 2.0.1's parse():
const CREDENTIALS_REGEXP = /^ *(?:[Bb][Aa][Ss][Ii][Cc]) +([A-Za-z0-9._~+/-]+=*) *$/;
const USER_PASS_REGEXP = /^([^:]*):(.*)$/;
function parse(string) {
  const match = CREDENTIALS_REGEXP.exec(string);
  if (!match) return null;
  const userPass = USER_PASS_REGEXP.exec(Buffer.from(match[1], 'base64').toString());
  if (!userPass) return null;
  return [userPass[1], userPass[2]];
}
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(cases.map(parse)));
"#;

#[test]
fn parse_matches_basic_auth_rules_in_node() {
    let Some(node) = rt_tests::node::node_or_skip("parse_matches_basic_auth_rules_in_node") else {
        return;
    };
    let mut rng = Rng::new(0xba51c);
    let parts = [
        "ann",
        "Aladdin",
        ":",
        "open sesame",
        "é",
        "中文",
        "😀",
        "\n",
        "",
        "a:b",
        "\u{0}",
        "pass word",
    ];
    let schemes = [
        "Basic ", "basic ", "BASIC  ", " Basic ", "Basic", "Bearer ", "Basic\t", "BaSiC ",
    ];
    let mut headers: Vec<String> = vec![
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==".into(),
        "basic Zm9vOmJhcg".into(),
        "Basic Zm9vOmJhcg== ".into(),
        "Basic ####".into(),
        "Basic".into(),
        "".into(),
        "Basic Zm9v".into(),
        "Basic w6k6w6k=".into(),
        "Basic /w==".into(),
        "Basic gICA6gA==".into(),
    ];
    for _ in 0..3000 {
        let n = rng.below(4);
        let mut plain: String = (0..n).map(|_| *rng.pick(&parts)).collect();
        if rng.chance(1, 2) {
            plain = format!("{}:{plain}", rng.pick(&parts));
        }
        let mut token = STANDARD.encode(plain.as_bytes());
        match rng.below(8) {
            0 => token = token.trim_end_matches('=').to_owned(),
            1 => token = token.replace('+', "-").replace('/', "_"),
            2 => {
                let at = rng.below(token.len() as u64 + 1) as usize;
                token.insert(at, *rng.pick(&['.', '~', '=', '-', '_', '!', ' ']));
            }
            3 => token.push_str("=="),
            _ => {}
        }
        headers.push(format!("{}{}", rng.pick(&schemes), token));
    }
    let out = node.run_script(NODE_SCRIPT, serde_json::to_string(&headers).unwrap().as_bytes());
    let theirs: Vec<Value> = serde_json::from_slice(&out).expect("node's JSON");
    assert_eq!(theirs.len(), headers.len());
    let mut differ = 0;
    for (h, t) in headers.iter().zip(&theirs) {
        let ours = match basic_auth::parse(h) {
            Some(c) => json!([c.name, c.pass]),
            None => Value::Null,
        };
        if &ours != t {
            differ += 1;
            if differ <= 15 {
                eprintln!("DIFFERS {h:?}\n  rt:   {ours}\n  node: {t}");
            }
        }
    }
    let accepted = theirs.iter().filter(|v| !v.is_null()).count();
    println!(
        "basic auth: compared {} headers with node ({accepted} accepted), {differ} differ",
        headers.len()
    );
    assert_eq!(headers.len(), 3010);
    assert_eq!(differ, 0);
}

#[test]
fn constant_time_check() {
    let c = Credentials {
        name: "admin".into(),
        pass: "secret".into(),
    };
    assert!(c.is("admin", "secret"));
    assert!(!c.is("admin", "secreT"));
    assert!(!c.is("admin", "secret "));
    assert!(!c.is("Admin", "secret"));
    assert!(!c.is("", ""));
    assert_eq!(
        format!("{c:?}"),
        r#"Credentials { name: "admin", pass: "<hidden>" }"#
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn middleware_401_and_success_over_loopback() {
    let mut app = Router::new();
    app.use_at(
        "/admin",
        BasicAuth::user("admin", "sésame")
            .realm("the \"zone\"")
            .middleware(),
    );
    app.get("/admin/x", |req: Request, res: ServerResponse| async move {
        let user: User = req.get().expect("authenticated");
        res.end_with(format!("hello {}", user.0))?;
        Ok::<(), HttpError>(())
    });
    app.get("/open", |_req: Request, res: ServerResponse| async move {
        res.end_with("open")
    });
    let server = within(10, "listen", app.listen(("127.0.0.1", 0))).await.unwrap();
    let port = server.address().and_then(|a| a.port()).unwrap();

    let r = exchange(port, "GET", "/admin/x", &[], "").await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("www-authenticate"),
        Some(r#"Basic realm="the \"zone\"", charset="UTF-8""#)
    );
    assert_eq!(r.body, "Unauthorized");
    let good = format!("Basic {}", STANDARD.encode("admin:sésame"));
    let r = exchange(port, "GET", "/admin/x", &[("Authorization", &good)], "").await;
    assert_eq!((r.status, r.body.as_str()), (200, "hello admin"));
    let bad = format!("Basic {}", STANDARD.encode("admin:sesame"));
    let r = exchange(port, "GET", "/admin/x", &[("Authorization", &bad)], "").await;
    assert_eq!(r.status, 401);
    let r = exchange(port, "GET", "/admin/x", &[("Authorization", "Bearer abc")], "").await;
    assert_eq!(r.status, 401);
    let r = exchange(port, "GET", "/open", &[], "").await;
    assert_eq!((r.status, r.body.as_str()), (200, "open"));
    server.close().ok();
}
