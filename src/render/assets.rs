//! The page's fixed parts: its style sheet, the frame the picture is drawn in (controls, view,
//! hover box, detail panel), its script and its legends.
//!
//! The script (`timeline.js`, embedded whole) reads the page's data (`data.rs`) and draws on a
//! canvas only what is in view; it writes text into the page only through `textContent` and the
//! canvas, never as markup, and loads nothing. It exposes its state for tests as `window.quorate` and on `<body>`'s data
//! attributes (`data-ready` once it has run, `data-focused` with the operations of the anomaly
//! last brought into view, `data-drawn-ms` when the first picture was drawn).

pub(super) const STYLE: &str = r#"<style>
body { font: 13px system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; }
.anomalies { max-height: 22vh; overflow: auto; margin: 6px 0; padding-left: 2.5em; border: 1px solid #eee; }
.anomalies li { cursor: pointer; }
.anomalies li.forbidden { color: #a00000; }
.anomalies li.allowed { color: #5b2d91; }
.anomalies li.witness { font-weight: 600; }
.anomalies li.current { background: #fff3a8; }
.why { background: #fff3e6; border-left: 4px solid #e05a00; padding: 6px 10px; max-width: 110ch; }
.legend span { display: inline-block; padding: 1px 8px; margin-right: 6px; border: 1px solid #456; border-radius: 3px; }
.controls { margin: 6px 0; }
.controls button { font: 13px ui-monospace, monospace; min-width: 2.4em; }
.controls .help { color: #666; margin-left: 8px; }
.controls input { font: 13px ui-monospace, monospace; }
.view { position: relative; overflow-y: auto; overflow-x: hidden; border: 1px solid #ccc; outline: none; }
.view:focus { border-color: #6a8fd0; }
.view canvas { position: sticky; top: 0; display: block; width: 100%; cursor: grab; }
.view canvas.dragging { cursor: grabbing; }
.tip { position: fixed; z-index: 5; max-width: 70ch; background: #fffef5; border: 1px solid #aa9; padding: 3px 6px; white-space: pre-wrap; font: 12px ui-monospace, monospace; pointer-events: none; box-shadow: 1px 1px 4px rgba(0,0,0,0.2); }
.detail { position: sticky; bottom: 0; background: #fffdf0; border: 1px solid #ccb; padding: 4px 8px; margin-top: 8px; max-height: 30vh; overflow: auto; }
.detail pre { margin: 2px 0; white-space: pre-wrap; font: 12px ui-monospace, monospace; }
</style>
"#;

/// The controls, the view the canvas is drawn in, the hover box and the detail panel.
pub(super) const VIEW: &str = r#"<div class="controls"><button type="button" data-act="out" title="zoom out (-)">−</button><button type="button" data-act="in" title="zoom in (+)">+</button><button type="button" data-act="fit" title="the whole history (0)">fit</button><button type="button" data-act="left" title="pan left (←)">◀</button><button type="button" data-act="right" title="pan right (→)">▶</button><button type="button" data-act="prev" title="previous anomaly (p)">prev anomaly</button><button type="button" data-act="next" title="next anomaly (n)">next anomaly</button> <input id="goto" type="search" size="22" placeholder="go to: key, or #op id" title="a key's name (or the start of it), or # and an operation's id; Enter"><span class="help">Drag to pan; Ctrl+wheel or + − to zoom; Shift+wheel or ← → to pan; wheel or ↑ ↓ to scroll keys; 0 fits; n / p walk the anomalies; the box goes to a key or an operation. Hover over anything for its details, or click it.</span></div>
<div id="view" class="view" tabindex="0"><canvas id="timeline"></canvas><div id="spacer"></div></div>
<div id="tip" class="tip" hidden></div>
<div id="detail" class="detail">Click a bar or an anomaly for its whole description.</div>
"#;

/// Draws what is in view on the canvas, from the page's data; zooms and pans; brings an
/// anomaly's operations into view when it is clicked; shows whole texts on hover and in the
/// detail panel (through `textContent`, never as markup).
pub(super) const SCRIPT: &str = concat!("<script>\n", include_str!("timeline.js"), "</script>\n");

pub(super) const TRACE_LEGEND: &str = r#"<p class="legend">Inside the store (from the history's trace): one lane per node; <span style="border:none">→ message</span><span style="border:none">⇢ duplicate (dashed)</span><span style="border:none">✕ dropped</span><span style="background:#ffd0a0">fault on a node</span><span style="border:none">● {siblings} after a change</span><span style="border-color:#e05a00;border-width:2px">the chain that explains the witness</span></p>
"#;

pub(super) const LEGEND: &str = r#"<p class="legend"><span style="background:#cfe3ff">put/delete ok</span><span style="background:#d9f2d9">get ok</span><span style="background:#ffd6d6">fail</span><span style="background:#e6e6e6;border-style:dashed">info (no answer)</span><span style="background:#9bbbe6">many operations (zoom in)</span><span style="border-color:#d40000;border-width:2px">forbidden anomaly</span><span style="border-color:#7a3fc0;border-width:2px;border-style:dashed">allowed anomaly</span><span style="background:#ffe8b3">fault</span></p>
"#;
