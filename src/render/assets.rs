//! The page's fixed parts: its style sheet, its script, its legends and the arrowhead. The
//! script writes text into the page only through `textContent`, never as markup, and loads
//! nothing.

pub(super) const STYLE: &str = r#"<style>
body { font: 13px system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; } h2 { font-size: 14px; margin: 18px 0 4px; }
.scroll { overflow-x: auto; border: 1px solid #ddd; display: flex; }
.scroll > svg { flex: none; }
.names { position: sticky; left: 0; z-index: 2; width: 0; flex: none; }
.names span { position: absolute; left: 0; white-space: nowrap; background: rgba(255,255,255,0.85); color: #555; font: 11px ui-monospace, monospace; padding: 0 3px; }
svg text { font: 11px ui-monospace, monospace; pointer-events: none; }
.lane-bg { fill: #fafafa; stroke: #eee; }
.lane-label { fill: #666; }
.tick { fill: #888; }
.tick-line { stroke: #ccc; }
.op rect { stroke: #456; stroke-width: 1; }
.op.ok rect { fill: #cfe3ff; }
.op.fail rect { fill: #ffd6d6; }
.op.info rect { fill: #e6e6e6; stroke-dasharray: 4 2; }
.op.get.ok rect { fill: #d9f2d9; }
.op:hover rect { stroke-width: 2; }
.op.anomaly rect { stroke: #d40000; stroke-width: 2.5; }
.op.witness rect { stroke: #d40000; stroke-width: 4; }
.op.anomaly.allowed rect { stroke: #7a3fc0; stroke-dasharray: 5 2; }
.op.focus rect { fill: #ffef5c; }
.op { cursor: pointer; }
.anomalies li { cursor: pointer; }
.anomalies li.forbidden { color: #a00000; }
.anomalies li.allowed { color: #5b2d91; }
.detail { position: sticky; bottom: 0; background: #fffdf0; border: 1px solid #ccb; padding: 4px 8px; margin-top: 8px; max-height: 30vh; overflow: auto; }
.detail pre { margin: 2px 0; white-space: pre-wrap; font: 12px ui-monospace, monospace; }
.fault { fill: #ffb000; opacity: 0.18; }
.anomalies li.witness { font-weight: 600; }
.why { background: #fff3e6; border-left: 4px solid #e05a00; padding: 6px 10px; max-width: 110ch; }
.node-bg { fill: #f4f6fb; stroke: #e3e6ee; }
.node-fault { fill: #ff8a00; opacity: 0.25; }
.msg line { stroke: #556; stroke-width: 1; }
.msg.dup line { stroke-dasharray: 4 3; }
.msg.dropped line { stroke: #b00; }
.msg .cross { stroke: #b00; stroke-width: 2; fill: none; }
.msg:hover line { stroke-width: 2.5; }
.msg.gone { opacity: 0.3; }
.msg.chain line { stroke: #e05a00; stroke-width: 3; }
.msg .chain-label { fill: #b54400; font-weight: 700; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.state circle { fill: #2a5db0; }
.state text { fill: #1d3f7a; font-size: 10px; }
.state.chain circle { fill: #e05a00; r: 5; }
.state.chain text { fill: #e05a00; font-weight: 700; }
.legend span { display: inline-block; padding: 1px 8px; margin-right: 6px; border: 1px solid #456; border-radius: 3px; }
</style>
"#;

/// Clicking an anomaly in the list outlines its operations, scrolls to the first one and shows
/// their full descriptions in the detail panel; clicking a bar shows its own there (a label cut
/// to its bar is whole in the panel and in the bar's hover text). Text reaches the panel only
/// through `textContent`, never as markup. The page marks itself ready when the script has run,
/// so a browser test can tell it ran without error.
pub(super) const SCRIPT: &str = r#"<script>
"use strict";
const detail = document.getElementById("detail");
function describe(heading, bars) {
  detail.textContent = "";
  const title = document.createElement("b");
  title.textContent = heading;
  detail.appendChild(title);
  for (const bar of bars) {
    const line = document.createElement("pre");
    const text = bar.querySelector("title");
    line.textContent = text ? text.textContent : "";
    detail.appendChild(line);
  }
}
for (const item of document.querySelectorAll("li[data-ops]")) {
  item.addEventListener("click", () => {
    for (const old of document.querySelectorAll(".op.focus")) old.classList.remove("focus");
    const ids = item.dataset.ops.split(" ").filter((id) => id !== "");
    const bars = [];
    for (const id of ids) {
      for (const bar of document.querySelectorAll(`.op[data-op="${id}"]`)) {
        bar.classList.add("focus");
        bars.push(bar);
      }
    }
    describe(item.textContent, bars);
    if (bars.length > 0) bars[0].scrollIntoView({ block: "center", inline: "center" });
  });
}
// The chain that explains the witness starts in view, across and down.
const chainStart = document.querySelector(".chain");
if (chainStart) chainStart.scrollIntoView({ block: "nearest", inline: "center" });
for (const bar of document.querySelectorAll(".op")) {
  bar.addEventListener("click", () => describe("operation", [bar]));
}
document.body.dataset.ready = "yes";
</script>
"#;

/// The arrowhead every message arrow ends in, defined once for the page.
pub(super) const MARKERS: &str = r##"<svg width="0" height="0" style="position:absolute"><defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerUnits="userSpaceOnUse" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L8 4L0 8z" fill="#556"/></marker></defs></svg>
"##;

pub(super) const TRACE_LEGEND: &str = r#"<p class="legend">Inside the store (from the history's trace): one lane per node; <span style="border:none">→ message</span><span style="border:none">⇢ duplicate (dashed)</span><span style="border:none">✕ dropped</span><span style="background:#ffd0a0">fault on a node</span><span style="border:none">● {siblings} after a change</span><span style="border-color:#e05a00;border-width:2px">the chain that explains the witness</span></p>
"#;

pub(super) const LEGEND: &str = r#"<p class="legend"><span style="background:#cfe3ff">put/delete ok</span><span style="background:#d9f2d9">get ok</span><span style="background:#ffd6d6">fail</span><span style="background:#e6e6e6;border-style:dashed">info (no answer)</span><span style="border-color:#d40000;border-width:2px">forbidden anomaly</span><span style="border-color:#7a3fc0;border-width:2px;border-style:dashed">allowed anomaly</span><span style="background:#ffe8b3">fault</span></p>
"#;
