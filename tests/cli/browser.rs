//! The digest as people read it: each locale's HTML rendered in headless
//! Chromium at a phone's width (400 px, and 360 px) and a desktop's
//! (900 px). Nothing may scroll sideways; the screenshots are saved under
//! `target/digest-screenshots/` to be looked at.
//!
//! Headless Chromium will not make a window narrower than 500 px, so the
//! digest is laid out in an iframe of the width tested (its viewport, as a
//! mail client's), and the page reports the iframe document's scroll and
//! client widths in its title, which `--dump-dom` prints.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::digest::{demo_helpdesk, preview_billing_in};
use crate::helpers::skip_outside_ci;

const FLAGS: [&str; 6] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
];

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// `html` in an iframe `width` px wide, in a page of its own; taller than
/// any digest, so that no vertical scrollbar narrows what is measured.
fn framed(html: &str, width: u32, dir: &Path, name: &str) -> PathBuf {
    let escaped = html
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let page = format!(
        r#"<!DOCTYPE html><html><head><title>loading</title></head><body style="margin:0;background:#ffffff">
<iframe id="f" style="width:{width}px;height:12000px;border:0;display:block" srcdoc="{escaped}"></iframe>
<script>
const f = document.getElementById('f');
f.addEventListener('load', () => {{
  const e = f.contentDocument.documentElement;
  document.title = 'scroll=' + e.scrollWidth + ' client=' + e.clientWidth + ' height=' + f.contentDocument.body.scrollHeight;
}});
</script></body></html>"#
    );
    let path = dir.join(format!("{name}-frame-{width}.html"));
    std::fs::write(&path, page).expect("frame written");
    path
}

/// `(scroll width, client width, content height)` of `html` laid out at
/// `width` px.
fn measure(browser: &str, html: &str, width: u32, dir: &Path, name: &str) -> (u32, u32, u32) {
    let page = framed(html, width, dir, name);
    let out = Command::new(browser)
        .args(FLAGS)
        .arg(format!("--window-size={},1200", width.max(500)))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    let title = dom
        .split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap_or_default()
        .to_string();
    let n = |key: &str| -> u32 {
        title
            .split(' ')
            .find_map(|kv| kv.strip_prefix(key))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "no {key} in the page title {title:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            })
    };
    (n("scroll="), n("client="), n("height="))
}

fn screenshot(
    browser: &str,
    html: &str,
    width: u32,
    height: u32,
    dir: &Path,
    name: &str,
    to: &Path,
) {
    let page = framed(html, width, dir, name);
    let out = Command::new(browser)
        .args(FLAGS)
        .arg("--hide-scrollbars")
        .arg(format!(
            "--window-size={},{}",
            width.max(500),
            height.min(3600)
        ))
        .arg(format!("--screenshot={}", to.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        to.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_digest_fits_a_phone_and_a_desktop_in_every_locale() {
    let Some(browser) = chromium() else {
        skip_outside_ci(
            "the_digest_fits_a_phone_and_a_desktop_in_every_locale",
            "chromium is needed (apt-get install chromium)",
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let week = demo_helpdesk(dir.path());
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/digest-screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/support-metrics.toml");

    // The probe sees overflow where there is some: a 600 px table.
    let wide = "<!DOCTYPE html><html><body><table style=\"width:600px\"><tr><td>x</td></tr></table></body></html>";
    let (scroll, client, _) = measure(browser, wide, 400, dir.path(), "control");
    assert!(
        scroll > client,
        "the probe must see overflow: {scroll} vs {client}"
    );

    for locale in ["en", "fr", "it"] {
        let out = preview_billing_in(dir.path(), &config, &week, locale);
        let html = std::fs::read_to_string(out.join(format!("{week}-billing.html"))).expect("html");
        for width in [360, 400, 900] {
            let name = format!("{locale}-{width}");
            let (scroll, client, height) = measure(browser, &html, width, dir.path(), &name);
            assert_eq!(client, width, "{name}: the digest's viewport");
            assert!(
                scroll <= client,
                "{name}: the digest is {scroll} px wide in a {client} px window"
            );
            assert!(
                height > 600,
                "{name}: the digest rendered ({height} px tall)"
            );
            if width != 360 {
                screenshot(
                    browser,
                    &html,
                    width,
                    height,
                    dir.path(),
                    &name,
                    &shots.join(format!("billing-{name}.png")),
                );
            }
        }
    }
}
