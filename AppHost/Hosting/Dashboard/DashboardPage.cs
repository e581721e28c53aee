namespace Spokes.AppHost.Hosting;

internal static class DashboardPage
{
    public const string Html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Spokes — AppHost dashboard</title>
        <style>
          body { font-family: system-ui, sans-serif; margin: 1.5rem; background: #fafafa; color: #222; }
          h1 { font-size: 1.3rem; margin: 0 0 1rem; }
          table { border-collapse: collapse; width: 100%; background: #fff; }
          th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #e5e5e5; vertical-align: top; }
          th { background: #f0f0f0; font-weight: 600; }
          tr.selected { background: #eef4ff; }
          tr { cursor: pointer; }
          .state { font-weight: 600; }
          .Healthy { color: #16794c; } .Failed { color: #b42318; }
          .Starting, .Running, .Waiting { color: #b54708; } .Stopping, .Stopped { color: #667085; }
          code { font-size: .85rem; }
          pre { background: #111; color: #ddd; padding: .8rem; height: 24rem; overflow: auto; font-size: .8rem; }
          #updated { color: #667085; font-size: .8rem; }
        </style>
        </head>
        <body>
        <h1>Spokes resources <span id="updated"></span></h1>
        <table>
          <thead><tr><th>Resource</th><th>Type</th><th>State</th><th>Health</th><th>Endpoints</th><th>PID</th></tr></thead>
          <tbody id="resources"></tbody>
        </table>
        <h2 id="log-title" style="font-size:1.1rem">Logs</h2>
        <pre id="log">Select a resource to see its last log lines.</pre>
        <script>
          let selected = null;
          const text = s => String(s ?? '').replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
          async function refresh() {
            try {
              const resources = await (await fetch('api/resources')).json();
              document.getElementById('resources').innerHTML = resources.map(({snapshot: r, logFile}) => `
                <tr data-name="${text(r.name)}" class="${r.name === selected ? 'selected' : ''}" title="${text(logFile)}">
                  <td>${text(r.name)}</td><td>${text(r.type)}</td>
                  <td class="state ${text(r.state)}">${text(r.state)}</td><td>${text(r.health)}</td>
                  <td>${r.endpoints.map(e => e.startsWith('http') ? `<a href="${text(e)}">${text(e)}</a>` : `<code>${text(e)}</code>`).join('<br>')}</td>
                  <td>${text(r.processId)}</td>
                </tr>`).join('');
              if (selected) {
                const lines = await (await fetch(`api/resources/${encodeURIComponent(selected)}/logs?tail=300`)).json();
                const log = document.getElementById('log');
                const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
                log.textContent = lines.join('\n');
                if (atBottom) log.scrollTop = log.scrollHeight;
              }
              document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
            } catch {
              document.getElementById('updated').textContent = 'AppHost not answering';
            }
          }
          document.getElementById('resources').addEventListener('click', e => {
            const row = e.target.closest('tr');
            if (!row) return;
            selected = row.dataset.name;
            document.getElementById('log-title').textContent = 'Logs: ' + selected;
            refresh();
          });
          refresh();
          setInterval(refresh, 1000);
        </script>
        </body>
        </html>
        """;
}
