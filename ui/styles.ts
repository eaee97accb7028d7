// The console's stylesheet, served at /assets/console.css. Plain CSS, mobile-friendly, no build step.
export const consoleCss = `
:root{--bg:#f8fafc;--panel:#fff;--line:#e2e8f0;--text:#0f172a;--muted:#64748b;--brand:#0f766e;--brand2:#115e59;--warn:#b45309;--bad:#b91c1c;--note:#fef9c3}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:var(--bg);color:var(--text)}
a{color:var(--brand)}button,.btn{font:inherit;border:1px solid var(--line);background:#fff;border-radius:6px;padding:6px 10px;cursor:pointer;color:var(--text);text-decoration:none;display:inline-block}
button.primary,.btn.primary{background:var(--brand);border-color:var(--brand);color:#fff}button.danger{color:var(--bad)}
input,select,textarea{font:inherit;border:1px solid var(--line);border-radius:6px;padding:6px 8px;background:#fff;max-width:100%}
label{display:block;margin:8px 0 4px;color:var(--muted);font-size:13px}
.top{display:flex;gap:16px;align-items:center;padding:8px 16px;background:var(--text);color:#fff}.top a{color:#e2e8f0;text-decoration:none}.top a.on{color:#fff;font-weight:600}.top .sp{flex:1}.top .me{min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.top form{margin:0}.top button{background:transparent;color:#e2e8f0;border-color:#334155}
.live-off{display:none;background:var(--warn);color:#fff;padding:4px 16px}.live-off.show{display:block}
.inbox{display:grid;grid-template-columns:340px 1fr 300px;height:calc(100vh - 44px)}
.col{overflow:auto;border-right:1px solid var(--line);background:var(--panel)}.col:last-child{border-right:0}
.filters{padding:10px;border-bottom:1px solid var(--line);display:flex;flex-wrap:wrap;gap:6px}.filters .tabs{display:flex;gap:4px;width:100%}.filters .tabs a{padding:4px 8px;border-radius:6px;text-decoration:none;color:var(--muted)}.filters .tabs{flex-wrap:wrap}.filters .tabs .count{display:inline-block;min-width:18px;padding:0 5px;border-radius:9px;background:var(--line);font-size:12px;text-align:center}.owner.bot{color:#7c3aed}.owner.queue{color:#b45309}.filters .tabs a.on{background:#ccfbf1;color:var(--brand2);font-weight:600}
.filters input[type=search]{width:100%}.filters select{flex:1 1 calc(50% - 3px);min-width:0}
.clist{list-style:none;margin:0;padding:0}.clist li a{display:block;padding:10px 12px;border-bottom:1px solid var(--line);text-decoration:none;color:inherit}.clist li a:hover{background:#f1f5f9}.clist li.on a{background:#f0fdfa;border-left:3px solid var(--brand)}
.clist .row{display:flex;justify-content:space-between;gap:8px}.clist .name{font-weight:600}.clist .pv{color:var(--muted);white-space:nowrap;overflow:hidden;text-overflow:ellipsis}.clist .meta{font-size:12px;color:var(--muted)}
.badge{display:inline-block;min-width:18px;padding:0 6px;border-radius:9px;background:var(--brand);color:#fff;font-size:12px;text-align:center}.tag{display:inline-block;padding:0 6px;border-radius:4px;font-size:12px;color:#fff;margin-right:4px}
.conv{display:flex;flex-direction:column;height:100%}.conv header{padding:10px 14px;border-bottom:1px solid var(--line);display:flex;flex-wrap:wrap;gap:8px;align-items:center}.conv header h2{margin:0;font-size:16px;flex:1 1 100%}
.msgs{flex:1;overflow:auto;list-style:none;margin:0;padding:14px;display:flex;flex-direction:column;gap:8px;background:var(--bg)}
.msg{max-width:75%;padding:8px 10px;border-radius:10px;background:#fff;border:1px solid var(--line);white-space:pre-wrap;word-wrap:break-word}.msg.out{align-self:flex-end;background:#ccfbf1;border-color:#99f6e4}.msg.note{align-self:flex-end;background:var(--note);border-color:#fde68a}
.msg.activity{align-self:center;background:transparent;border:0;color:var(--muted);font-size:12px}.msg .when{display:block;font-size:11px;color:var(--muted);margin-top:2px}.msg .st.failed{color:var(--bad)}.msg img{max-width:240px;display:block;border-radius:6px}
.composer{border-top:1px solid var(--line);padding:10px;background:#fff;position:relative}.composer textarea{width:100%;min-height:64px;resize:vertical}.composer .bar{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin-top:6px}.composer .bar input[type=file]{min-width:0;max-width:100%;flex:0 1 auto}.composer.note textarea{background:var(--note)}
.qr-pop{position:absolute;bottom:100%;left:10px;right:10px;background:#fff;border:1px solid var(--line);border-radius:8px;box-shadow:0 4px 16px #0002;max-height:220px;overflow:auto;display:none}.qr-pop.show{display:block}.qr-pop div{padding:6px 10px;cursor:pointer}.qr-pop div.on,.qr-pop div:hover{background:#f0fdfa}
.side{padding:12px}.side h3{margin:12px 0 6px;font-size:14px}.side input{width:100%}.side ul{padding-left:18px}
.empty{padding:24px;color:var(--muted);text-align:center}
.page{max-width:980px;margin:20px auto;padding:0 16px}.page h1{font-size:20px}.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:16px;margin-bottom:16px}
table{border-collapse:collapse;width:100%}.copyable{display:flex;gap:6px;align-items:flex-start}.copyable pre{flex:1;min-width:0;overflow-x:auto;margin:0}.copyable .copy{flex:none;min-height:36px}.scroll-x{overflow-x:auto;max-width:100%}label.choice{display:block;font-weight:normal;margin:6px 0}label.choice input{width:auto}th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}th{color:var(--muted);font-weight:500}
.settings{display:grid;grid-template-columns:200px 1fr;gap:20px}.settings>*{min-width:0}.settings nav a{display:block;padding:6px 8px;border-radius:6px;text-decoration:none;color:var(--text)}.settings nav a.on{background:#ccfbf1}
.flash{padding:8px 12px;border-radius:6px;background:#dcfce7;margin-bottom:12px}.flash.err{background:#fee2e2}
.auth{max-width:420px;margin:8vh auto;background:#fff;border:1px solid var(--line);border-radius:12px;padding:24px}.auth input{width:100%}.auth h1{margin-top:0}
.wizard fieldset{border:1px solid var(--line);border-radius:8px;margin:0 0 12px;padding:12px}.wizard legend{font-weight:600}.js .wizard fieldset.step:not(.cur){display:none}.wizard .hours td{padding:3px}
code,pre{background:#f1f5f9;border-radius:4px;padding:2px 4px}pre{padding:10px;white-space:pre-wrap;word-break:break-all}
table.catalog code{white-space:nowrap}table.catalog td:last-child{white-space:nowrap}table.catalog input{width:auto}
.mood{font-size:12px;border-radius:10px;padding:1px 8px;background:#f1f5f9}.mood.neg{background:#fee2e2}.mood.urgent{background:#fef3c7}.mood.pos{background:#dcfce7}
.copilot{gap:4px;flex-wrap:wrap;margin:4px 0}.copilot button{font-size:12px;padding:3px 8px}.copilot-out{display:flex;flex-direction:column;gap:4px;margin:4px 0}.copilot-out .suggestion{text-align:left;background:#f0fdfa;border:1px solid #99f6e4;border-radius:8px;padding:6px 10px;white-space:normal}.copilot-out .summary{margin:0;padding:6px 10px;background:#f8fafc;border-radius:8px}
.playground .thread{list-style:none;padding:0;max-height:360px;overflow:auto}.play-detail{border-top:1px solid var(--line);margin-top:8px;padding-top:8px}.play-detail .sources li{margin-bottom:6px}fieldset label.inline{display:inline-flex;gap:4px;margin-right:12px}
@media (max-width:600px){.top{gap:10px;padding:8px 10px;flex-wrap:wrap}.top .me{max-width:28vw}.top button{padding:4px 8px}}
.back,.contact-toggle,.sheet-close{display:none}.side-head{display:flex;align-items:center;justify-content:space-between}.attr-new{display:flex;gap:6px}.attr-new input{min-width:0}
@media (max-width:900px){.inbox{grid-template-columns:1fr;height:auto}.inbox.has-conv .list-col{display:none}.inbox:not(.has-conv) .conv-col{display:none}
.back,.contact-toggle{display:inline-flex;align-items:center;min-height:44px}.back{text-decoration:none;font-weight:600;margin-right:8px}
.inbox .side-col{position:fixed;left:0;right:0;bottom:0;max-height:85vh;overflow:auto;background:#fff;box-shadow:0 -8px 30px #0003;border-radius:14px 14px 0 0;z-index:60;transform:translateY(110%);transition:transform .2s}
body.sheet-open .inbox .side-col{transform:none}.sheet-close{display:inline-flex;min-width:44px;min-height:44px;align-items:center;justify-content:center;font-size:22px;background:transparent;border:0}.settings{grid-template-columns:1fr}.settings nav{display:flex;overflow-x:auto;gap:4px;padding-bottom:4px}.settings nav a{white-space:nowrap;flex:none}}
`;
