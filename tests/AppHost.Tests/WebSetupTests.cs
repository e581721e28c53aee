using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Spokes.TestSupport;

namespace Spokes.AppHost.Tests;

/// <summary>
/// The web pages of a first start, in Debian's Chromium: the setup wizard on a fresh data folder with the code the
/// AppHost prints, and an external login through npm oidc-provider whose session stoat.js then uses. Screenshots
/// of every step go to artifacts/test-results/web-setup.
/// </summary>
[Collection(SuiteCollection.Name)]
public class WebSetupTests
{
    // A loaded build machine starts the suite in up to three minutes; the OIDC test's provider runs beside it.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);
    // The provider's authorization codes expire this soon, so that the test can let one expire; the browser's own
    // logins redeem theirs at once, which a loaded machine still does well within this.
    private static readonly TimeSpan CodeLifetime = TimeSpan.FromSeconds(8);
    private static readonly string Screenshots = Path.Combine(BuildLayout.RepositoryRoot, "artifacts", "test-results", "web-setup");
    private static readonly string Conformance = Path.Combine(BuildLayout.RepositoryRoot, "tests", "conformance");

    // A 1×1 PNG.
    private static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    // A 3×2 PNG of six colours (RGB): red, green, blue; yellow, cyan, magenta.
    private static readonly byte[] Logo = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAIAAAASFvFNAAAAFUlEQVR4nGP4z8DAAMH/gdR/IPEfAErJCPjuaEC2AAAAAElFTkSuQmCC");
    private static readonly byte[][] LogoPixels = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [0, 255, 255], [255, 0, 255]];

    private static async Task<(AppHostProcess AppHost, string Url)> StartAsync(string data, int port, string setupFile)
    {
        var apphost = AppHostProcess.Start(["--profile", "local", "--data", data, "--port", port.ToString()], owner: data,
            environment: new() { ["SPOKES_SETUP_FILE"] = setupFile });
        var up = await apphost.WaitForLineAsync(l => l.StartsWith("Spokes is up", StringComparison.Ordinal) || l.StartsWith('✗'), StartTimeout);
        Assert.True(up.StartsWith("Spokes is up", StringComparison.Ordinal), apphost.Output);
        return (apphost, $"http://127.0.0.1:{port}");
    }

    /// <summary>
    /// Waits out the Gateway's rate limit as a Stoat client does: the browser's page loads share the test's address
    /// and bucket, so a request after a quick run of pages may be told to wait (429 with <c>retry_after</c> in ms).
    /// </summary>
    private sealed class PatientOfRateLimits() : DelegatingHandler(new HttpClientHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            for (var attempt = 1; ; attempt++)
            {
                var response = await base.SendAsync(request, cancellationToken);
                if (response.StatusCode != HttpStatusCode.TooManyRequests || attempt == 5) return response;
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                response.Dispose();
                await Task.Delay(TimeSpan.FromMilliseconds(body.RootElement.GetProperty("retry_after").GetDouble() + 100), cancellationToken);
            }
        }
    }

    private static async Task<IBrowser> BrowserAsync(IPlaywright playwright)
    {
        // A loaded machine renders a page slower than Playwright's five seconds for an expectation.
        Assertions.SetDefaultExpectTimeout(30_000);
        return await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    private static Task ShotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Screenshots);
        return page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });
    }

    [Fact]
    public async Task A_fresh_data_folder_is_set_up_step_by_step_with_the_printed_code_after_which_the_admin_logs_in()
    {
        using var data = new TemporaryFolder("spokes-wizard");
        var (apphost, url) = await StartAsync(data.Path, Ports.Free(), setupFile: "");
        await using (apphost)
        {
            var line = await apphost.WaitForLineAsync(l => l.StartsWith("Setup: ", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
            var code = line[(line.LastIndexOf(' ') + 1)..];
            using var http = new HttpClient(new PatientOfRateLimits()) { BaseAddress = new Uri(url) };
            using (var early = await http.PostAsJsonAsync("/api/auth/account/create", new { email = "early@example.com", password = "an early password" }))
            {
                Assert.Equal(HttpStatusCode.BadRequest, early.StatusCode);
                Assert.Contains("OperationFailed", await early.Content.ReadAsStringAsync());
            }

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await BrowserAsync(playwright);
            var page = await browser.NewPageAsync();
            page.SetDefaultTimeout(30_000);

            await page.GotoAsync(url + "/");
            Assert.EndsWith("/setup", page.Url);
            await ShotAsync(page, "01-setup-code");
            await page.FillAsync("#code", "WRONG-CODE-0000");
            await page.ClickAsync("button[type=submit]");
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not the setup code");
            await ShotAsync(page, "02-wrong-code-refused");

            await page.FillAsync("#code", code);
            await page.ClickAsync("button[type=submit]");
            await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("Licence agreement");
            await ShotAsync(page, "03-eula");
            await page.CheckAsync("input[name=accept]");
            await page.ClickAsync("button[type=submit]");

            await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("Server profile");
            await page.FillAsync("#server_name", "Harbour");
            await page.SetInputFilesAsync("#logo", new FilePayload { Name = "logo.png", MimeType = "image/png", Buffer = Logo });
            await page.SetInputFilesAsync("#icon", new FilePayload { Name = "icon.png", MimeType = "image/png", Buffer = Png });
            await ShotAsync(page, "04-profile");
            await page.ClickAsync("button[type=submit]");

            await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("Licence");
            await Assertions.Expect(page.Locator("body")).ToContainTextAsync("Demo mode: up to 10 accounts");
            await ShotAsync(page, "05-licence-demo");
            await page.ClickAsync("button[type=submit]");

            await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("Network");
            await page.FillAsync("#public_url", url);
            await page.FillAsync("#livekit_tcp", new Uri(url).Port.ToString());
            await page.ClickAsync("button[type=submit]");
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("is the public URL's port");
            await ShotAsync(page, "06-network-inconsistent");
            await page.FillAsync("#public_url", url);
            await page.FillAsync("#livekit_tcp", "7881");
            await page.ClickAsync("button[type=submit]");

            await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("Identity");
            await ShotAsync(page, "07-identity");
            await page.ClickAsync("#save");

            await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("Administrators");
            await page.FillAsync("#email", "owner@example.com");
            await page.FillAsync("#password", "the owner's password");
            await page.ClickAsync("button[value=add]");
            await Assertions.Expect(page.Locator("#admins")).ToContainTextAsync("owner@example.com (global)");
            await ShotAsync(page, "08-administrators");
            await page.ClickAsync("#finish");

            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Harbour");
            await ShotAsync(page, "09-done");
            await AssertLogoServedByAutumnAsync(page, http, url);

            await page.GotoAsync(url + "/");
            Assert.DoesNotContain("/setup", page.Url);
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Harbour");
            await page.GotoAsync(url + "/admin");
            await page.FillAsync("#email", "owner@example.com");
            await page.FillAsync("#password", "the owner's password");
            await page.ClickAsync("button[type=submit]");
            await Assertions.Expect(page.Locator("body")).ToContainTextAsync("Signed in as owner@example.com");
            await ShotAsync(page, "10-admin");

            // The administrator's account is an ordinary one for Stoat clients too, and sign-up is open now.
            using (var login = await http.PostAsJsonAsync("/api/auth/session/login", new { email = "owner@example.com", password = "the owner's password" }))
                Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            using (var signUp = await http.PostAsJsonAsync("/api/auth/account/create", new { email = "later@example.com", password = "a later password" }))
                Assert.Equal(HttpStatusCode.NoContent, signUp.StatusCode);
        }
    }

    /// <summary>
    /// The home page shows the logo from Autumn at the public URL, through the Gateway: its preview is the uploaded
    /// image's size, and its original (re-encoded by Autumn without metadata) has the uploaded pixels.
    /// </summary>
    private static async Task AssertLogoServedByAutumnAsync(IPage page, HttpClient http, string url)
    {
        var logo = page.Locator("img.logo");
        var source = await logo.GetAttributeAsync("src");
        Assert.StartsWith(url + "/autumn/banners/", source);
        await Assertions.Expect(logo).ToHaveJSPropertyAsync("naturalWidth", 3);
        Assert.Equal(2, await logo.EvaluateAsync<int>("image => image.naturalHeight"));
        using (var preview = await http.GetAsync(source))
        {
            Assert.Equal(HttpStatusCode.OK, preview.StatusCode);
            Assert.Equal("image/webp", preview.Content.Headers.ContentType!.MediaType);
        }
        using var original = await http.GetAsync(source + "/original");
        Assert.Equal(HttpStatusCode.OK, original.StatusCode);
        Assert.Equal("image/png", original.Content.Headers.ContentType!.MediaType);
        Assert.Equal(LogoPixels, PngPixels.Read(await original.Content.ReadAsByteArrayAsync(), out var width, out var height));
        Assert.Equal((3, 2), (width, height));
    }

    [Fact]
    public async Task A_user_logs_in_through_oidc_provider_and_stoat_js_connects_with_the_session_and_forged_expired_and_foreign_logins_are_refused()
    {
        using var data = new TemporaryFolder("spokes-oidc");
        var port = Ports.Free();
        var providerPort = Ports.Free();
        var url = $"http://127.0.0.1:{port}";
        var issuer = $"http://127.0.0.1:{providerPort}";
        const string secret = "client-secret-of-the-test";
        var setupFile = Path.Combine(data.Path, "answers.json");
        await File.WriteAllTextAsync(setupFile, JsonSerializer.Serialize(new
        {
            acceptEula = true, serverName = "Harbour", publicUrl = url, identity = "oidc",
            oidc = new { issuer, clientId = "spokes", clientSecret = secret, builtinAccounts = false },
            admin = new { email = "owner@example.com", password = "the owner's password" },
        }));

        var provider = ManagedProcess.Start(new ProcessSpec("node", [Path.Combine(Conformance, "oidc-provider.mjs")])
        {
            WorkingDirectory = Conformance,
            Environment = new()
            {
                ["OIDC_PORT"] = providerPort.ToString(), ["OIDC_CLIENT_SECRET"] = secret, ["OIDC_REDIRECT_URI"] = url + "/auth/oidc/callback",
                ["OIDC_CODE_TTL"] = ((int)CodeLifetime.TotalSeconds).ToString(),
            },
        }, data.Path, _ => { });
        try
        {
            await LogInThroughTheProviderAsync(data.Path, port, url, issuer, providerPort, secret, setupFile);
        }
        finally
        {
            await provider.StopAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>Follows the redirects from <paramref name="start"/> without the browser and returns the first one to <paramref name="target"/>.</summary>
    private static async Task<string> RedirectToTheCallbackAsync(IBrowserContext context, string start, string target)
    {
        var next = new Uri(start);
        for (var hop = 0; hop < 10; hop++)
        {
            var response = await context.APIRequest.GetAsync(next.ToString(), new() { MaxRedirects = 0 });
            var location = response.Headers.GetValueOrDefault("location");
            Assert.True(location is not null, $"{next} answered {response.Status} without a redirect: {await response.TextAsync()}");
            next = new Uri(next, location);
            if (next.ToString().StartsWith(target, StringComparison.Ordinal)) return next.ToString();
        }
        throw new InvalidOperationException($"No redirect to {target} after ten hops from {start}.");
    }

    private static async Task LogInThroughTheProviderAsync(string data, int port, string url, string issuer, int providerPort, string secret, string setupFile)
    {
        var (apphost, _) = await StartAsync(Path.Combine(data, "suite"), port, setupFile);
        await using (apphost)
        {
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await BrowserAsync(playwright);
            var page = await browser.NewPageAsync();
            page.SetDefaultTimeout(30_000);

            // A login through the provider's own pages ends with a one-time code for the client.
            await page.GotoAsync(url + "/");
            await page.ClickAsync("a[href='/auth/oidc/login']");
            Assert.StartsWith(issuer, page.Url);
            await page.FillAsync("input[name=login]", "alice");
            await page.FillAsync("input[name=password]", "anything");
            await ShotAsync(page, "11-oidc-provider-login");
            await page.ClickAsync("button[type=submit]");
            await page.ClickAsync("button[type=submit]"); // the provider's consent
            await Assertions.Expect(page.Locator("#handoff")).ToBeVisibleAsync();
            await ShotAsync(page, "12-oidc-signed-in");
            var handoff = await page.Locator("#handoff").InnerTextAsync();

            using var http = new HttpClient(new PatientOfRateLimits()) { BaseAddress = new Uri(url) };
            using var exchanged = await http.PostAsJsonAsync("/api/auth/oidc/exchange", new { code = handoff });
            Assert.Equal(HttpStatusCode.OK, exchanged.StatusCode);
            var session = await exchanged.Content.ReadAsStringAsync();
            using (var again = await http.PostAsJsonAsync("/api/auth/oidc/exchange", new { code = handoff }))
                Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);

            var connect = new ProcessStartInfo("node", [Path.Combine(Conformance, "oidc-session.mjs")])
            {
                WorkingDirectory = Conformance, RedirectStandardOutput = true, RedirectStandardError = true,
                Environment = { ["SPOKES_URL"] = url, ["SPOKES_SESSION"] = session, ["SPOKES_USERNAME"] = "alice" },
            };
            using (var node = Process.Start(connect)!)
            {
                var output = node.StandardOutput.ReadToEndAsync();
                var errors = node.StandardError.ReadToEndAsync();
                await node.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
                Assert.True(node.ExitCode == 0, await output + await errors);
                Assert.Contains("connected as alice", await output);
            }

            // The same subject logs in to the same account.
            var second = await (await browser.NewContextAsync()).NewPageAsync();
            await second.GotoAsync(url + "/auth/oidc/login");
            await second.FillAsync("input[name=login]", "alice");
            await second.FillAsync("input[name=password]", "anything");
            await second.ClickAsync("button[type=submit]");
            await second.ClickAsync("button[type=submit]");
            using (var again = await http.PostAsJsonAsync("/api/auth/oidc/exchange", new { code = await second.Locator("#handoff").InnerTextAsync() }))
            {
                Assert.Equal(
                    JsonDocument.Parse(session).RootElement.GetProperty("user_id").GetString(),
                    JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("user_id").GetString());
            }

            // A forged state is refused.
            await page.GotoAsync(url + "/auth/oidc/callback?state=forged-state&code=anything");
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not started here");
            await ShotAsync(page, "13-oidc-forged-state");

            // An expired code. Playwright does not route the requests of a redirect chain, and the callback is always
            // reached by the provider's redirect, so the chain is walked one hop at a time with the browser's own
            // cookies (the provider remembers alice and her consent) and stops at the callback, which is opened once
            // the code has expired.
            var callback = await RedirectToTheCallbackAsync(page.Context, url + "/auth/oidc/login", url + "/auth/oidc/callback?");
            await Task.Delay(CodeLifetime + TimeSpan.FromSeconds(3));
            await page.GotoAsync(callback);
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("refused the login code");
            Assert.Equal(0, await page.Locator("#handoff").CountAsync());
            await ShotAsync(page, "14-oidc-expired-code");
            using (var list = new HttpRequestMessage(HttpMethod.Get, "/api/auth/session/all") { Headers = { { "x-session-token", JsonDocument.Parse(session).RootElement.GetProperty("token").GetString() } } })
            using (var sessions = await http.SendAsync(list))
            {
                Assert.Equal(HttpStatusCode.OK, sessions.StatusCode);
                Assert.Equal(2, JsonDocument.Parse(await sessions.Content.ReadAsStringAsync()).RootElement.GetArrayLength());
            }

            // Password sign-up is off, as the operator chose; the administrator still reaches the admin page, where a
            // test login against an issuer that the provider does not claim to be is refused.
            using (var signUp = await http.PostAsJsonAsync("/api/auth/account/create", new { email = "someone@example.com", password = "a fine password" }))
                Assert.Equal(HttpStatusCode.BadRequest, signUp.StatusCode);
            await page.GotoAsync(url + "/admin");
            await page.FillAsync("#email", "owner@example.com");
            await page.FillAsync("#password", "the owner's password");
            await page.ClickAsync("button[type=submit]");
            await page.CheckAsync("input[name=mode][value=oidc]");
            await page.FillAsync("#issuer", $"http://localhost:{providerPort}");
            await page.FillAsync("#client_id", "spokes");
            await page.FillAsync("#client_secret", secret);
            await page.ClickAsync("#test");
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("names another issuer");
            await ShotAsync(page, "15-oidc-wrong-issuer");
        }
    }
}

/// <summary>The pixels of an 8-bit, non-interlaced RGB or RGBA PNG as RGB triples: enough to compare a small test image.</summary>
internal static class PngPixels
{
    public static byte[][] Read(byte[] png, out int width, out int height)
    {
        width = height = 0;
        int channels = 0;
        using var idat = new MemoryStream();
        for (var at = 8; at < png.Length;)
        {
            var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            var type = System.Text.Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png.AsSpan(at + 8, length);
            if (type == "IHDR")
            {
                width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(data);
                height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(8, data[8]);
                Assert.Equal(0, data[12]);
                channels = data[9] switch { 2 => 3, 6 => 4, var other => throw new NotSupportedException($"PNG colour type {other}") };
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }
            at += 12 + length;
        }
        idat.Position = 0;
        using var inflated = new System.IO.Compression.ZLibStream(idat, System.IO.Compression.CompressionMode.Decompress);
        var stride = width * channels;
        var previous = new byte[stride];
        var pixels = new List<byte[]>();
        for (var row = 0; row < height; row++)
        {
            var filter = inflated.ReadByte();
            var line = new byte[stride];
            inflated.ReadExactly(line);
            for (var i = 0; i < stride; i++)
            {
                int left = i >= channels ? line[i - channels] : 0, up = previous[i], upLeft = i >= channels ? previous[i - channels] : 0;
                line[i] = (byte)(line[i] + filter switch
                {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    _ => Paeth(left, up, upLeft),
                });
            }
            for (var x = 0; x < width; x++) pixels.Add(line.AsSpan(x * channels, 3).ToArray());
            previous = line;
        }
        return [.. pixels];
    }

    private static int Paeth(int left, int up, int upLeft)
    {
        var estimate = left + up - upLeft;
        int toLeft = Math.Abs(estimate - left), toUp = Math.Abs(estimate - up), toUpLeft = Math.Abs(estimate - upLeft);
        return toLeft <= toUp && toLeft <= toUpLeft ? left : toUp <= toUpLeft ? up : upLeft;
    }
}
