using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Spokes.TestSupport;

namespace Spokes.Api.Tests;

/// <summary>The first-start setup as the AppHost turns it on: nothing can sign up before it, a setup file completes it.</summary>
public class SetupGateTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private const string Code = "ABCD-EFGH-JKLM-NPQR";

    private WebApplicationFactory<Program> Api(string folder, string? file = null, Action<IWebHostBuilder>? more = null) => fixture.Factory.WithWebHostBuilder(web =>
    {
        web.UseSetting("Setup:Required", "true").UseSetting("Setup:DataFolder", folder).UseSetting("Setup:Code", Code);
        if (file is not null) web.UseSetting("Setup:File", file);
        more?.Invoke(web);
    });

    /// <summary>A setup file with a global administrator (e-mail, password) and <paramref name="more"/> answers.</summary>
    private static async Task<(string File, string Email, string Password)> SetupFileAsync(TemporaryFolder folder, Dictionary<string, object?>? more = null)
    {
        var email = $"admin-{Guid.NewGuid():N}@example.com";
        const string password = "the admin's password";
        var answers = new Dictionary<string, object?>
        {
            ["acceptEula"] = true, ["serverName"] = "Harbour", ["publicUrl"] = "http://chat.example.com", ["identity"] = "builtin",
            ["admin"] = new { email, password },
        };
        foreach (var (key, value) in more ?? []) answers[key] = value;
        var file = Path.Combine(folder.Path, "answers.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(answers));
        return (file, email, password);
    }

    /// <summary>Signs in at /admin; the cookie to send with the admin page's forms.</summary>
    private static async Task<string> AdminCookieAsync(HttpClient http, string email, string password)
    {
        using var login = await http.PostAsync("/admin/login", new FormUrlEncodedContent([KeyValuePair.Create("email", email), KeyValuePair.Create("password", password)]));
        Assert.Equal(HttpStatusCode.SeeOther, login.StatusCode);
        return login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
    }

    /// <summary>Posts an admin page form with the signed-in browser's CSRF token.</summary>
    private static async Task<HttpResponseMessage> AdminPostAsync(HttpClient http, string cookie, string section, params (string Name, string Value)[] fields)
    {
        var token = cookie[(cookie.IndexOf('=') + 1)..];
        var request = new HttpRequestMessage(HttpMethod.Post, "/admin/" + section)
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("csrf", Setup.WebPage.Csrf(token, "admin")), .. fields.Select(f => KeyValuePair.Create(f.Name, f.Value))]),
        };
        request.Headers.Add("Cookie", cookie);
        return await http.SendAsync(request);
    }

    private static async Task<JsonElement> RootAsync(HttpClient http) => JsonDocument.Parse(await http.GetStringAsync("/")).RootElement;

    [Fact]
    public async Task The_public_url_of_the_setup_is_what_the_root_configuration_announces_and_a_change_on_the_admin_page_applies_at_once()
    {
        using var folder = new TemporaryFolder("spokes-setup");
        var (file, email, password) = await SetupFileAsync(folder, new() { ["publicUrl"] = "https://harbour.example.org" });
        await using var api = Api(Path.Combine(folder.Path, "settings"), file, web => web
            .UseSetting("LiveKit:Url", "http://127.0.0.1:9").UseSetting("LiveKit:ApiKey", "key").UseSetting("LiveKit:ApiSecret", "a secret of the node"));
        using var http = Browser(api);

        var root = await RootAsync(http);
        Assert.Equal("https://harbour.example.org", root.GetProperty("app").GetString());
        Assert.Equal("wss://harbour.example.org/ws", root.GetProperty("ws").GetString());
        Assert.Equal("https://harbour.example.org/autumn", root.GetProperty("features").GetProperty("autumn").GetProperty("url").GetString());
        Assert.Equal("https://harbour.example.org/january", root.GetProperty("features").GetProperty("january").GetProperty("url").GetString());
        Assert.Equal("wss://harbour.example.org/livekit", root.GetProperty("features").GetProperty("livekit").GetProperty("nodes")[0].GetProperty("public_url").GetString());

        var cookie = await AdminCookieAsync(http, email, password);
        using var changed = await AdminPostAsync(http, cookie, "network",
            ("public_url", "http://spokes.harbour.test:8443/"), ("livekit_tcp", "7882"), ("livekit_udp_start", "51000"), ("livekit_udp_end", "51099"));
        Assert.Equal(HttpStatusCode.SeeOther, changed.StatusCode);

        root = await RootAsync(http);
        Assert.Equal("http://spokes.harbour.test:8443", root.GetProperty("app").GetString());
        Assert.Equal("ws://spokes.harbour.test:8443/ws", root.GetProperty("ws").GetString());
        Assert.Equal("http://spokes.harbour.test:8443/autumn", root.GetProperty("features").GetProperty("autumn").GetProperty("url").GetString());
        Assert.Equal("ws://spokes.harbour.test:8443/livekit", root.GetProperty("features").GetProperty("livekit").GetProperty("nodes")[0].GetProperty("public_url").GetString());
        var saved = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder.Path, "settings", "setup.json"))).RootElement.GetProperty("network");
        Assert.Equal(7882, saved.GetProperty("liveKitTcpPort").GetInt32());
        Assert.Equal(51099, saved.GetProperty("liveKitUdpEnd").GetInt32());
    }

    [Fact]
    public async Task An_organisation_administrator_changes_the_server_profile_but_not_the_network_or_the_identity_provider()
    {
        using var folder = new TemporaryFolder("spokes-setup");
        var organiser = $"org-{Guid.NewGuid():N}@example.com";
        var (file, _, _) = await SetupFileAsync(folder, new() { ["admins"] = new[] { new { email = organiser, password = "the organiser's password", role = "organisation" } } });
        await using var api = Api(Path.Combine(folder.Path, "settings"), file);
        using var http = Browser(api);
        var settingsFile = Path.Combine(folder.Path, "settings", "setup.json");

        var cookie = await AdminCookieAsync(http, organiser, "the organiser's password");
        using var page = new HttpRequestMessage(HttpMethod.Get, "/admin");
        page.Headers.Add("Cookie", cookie);
        var adminPage = await (await http.SendAsync(page)).Content.ReadAsStringAsync();
        Assert.Contains("Signed in as " + organiser, adminPage);
        Assert.Contains("action=\"/admin/profile\"", adminPage);
        Assert.DoesNotContain("action=\"/admin/network\"", adminPage);
        Assert.DoesNotContain("action=\"/admin/identity\"", adminPage);

        using var profile = await AdminPostAsync(http, cookie, "profile", ("server_name", "Harbour Organisation"));
        Assert.Equal(HttpStatusCode.SeeOther, profile.StatusCode);
        Assert.Contains("Harbour Organisation", await (await http.GetAsync("/home")).Content.ReadAsStringAsync());

        var before = await File.ReadAllTextAsync(settingsFile);
        using var network = await AdminPostAsync(http, cookie, "network",
            ("public_url", "https://elsewhere.example.net"), ("livekit_tcp", "7881"), ("livekit_udp_start", "50000"), ("livekit_udp_end", "50010"));
        Assert.Equal(HttpStatusCode.Forbidden, network.StatusCode);
        Assert.Contains("Only a global administrator", await network.Content.ReadAsStringAsync());
        using var identity = await AdminPostAsync(http, cookie, "identity", ("mode", "builtin"), ("action", "save"));
        Assert.Equal(HttpStatusCode.Forbidden, identity.StatusCode);
        Assert.Equal(before, await File.ReadAllTextAsync(settingsFile));
        Assert.Equal("http://chat.example.com", (await RootAsync(http)).GetProperty("app").GetString());
    }

    [Fact]
    public async Task Someone_who_is_no_administrator_cannot_sign_in_to_the_admin_page()
    {
        using var folder = new TemporaryFolder("spokes-setup");
        var (file, _, _) = await SetupFileAsync(folder);
        await using var api = FreshApi(folder, file);
        using var http = Browser(api);
        var user = $"{Guid.NewGuid():N}@example.com";
        Assert.Equal(HttpStatusCode.NoContent, (await SignUpAsync(http, user)).StatusCode);
        using var login = await http.PostAsync("/admin/login", new FormUrlEncodedContent([KeyValuePair.Create("email", user), KeyValuePair.Create("password", Password)]));
        Assert.Equal(HttpStatusCode.Forbidden, login.StatusCode);
        Assert.False(login.Headers.Contains("Set-Cookie"));
    }

    /// <summary>An Api set up by a setup file on a database of its own, so that the instance's counts start from nothing.</summary>
    private WebApplicationFactory<Program> FreshApi(TemporaryFolder folder, string? file, Action<IWebHostBuilder>? more = null) =>
        Api(Path.Combine(folder.Path, "settings"), file, web =>
        {
            web.UseSetting("ConnectionStrings:mongo", $"Data Source={Path.Combine(folder.Path, "spokes.db")}");
            more?.Invoke(web);
        });

    private const string Password = "a fine long password";

    /// <summary>Signs up <paramref name="email"/>, or a new address, with <see cref="Password"/>.</summary>
    private static Task<HttpResponseMessage> SignUpAsync(HttpClient http, string? email = null) =>
        http.PostAsJsonAsync("/auth/account/create", new { email = email ?? $"{Guid.NewGuid():N}@example.com", password = Password });

    [Fact]
    public async Task Demo_mode_takes_ten_accounts_and_refuses_the_eleventh_with_stoats_error()
    {
        using var folder = new TemporaryFolder("spokes-setup");
        var (file, _, _) = await SetupFileAsync(folder);
        await using var api = FreshApi(folder, file);
        using var http = Browser(api);
        // The administrator is the first account.
        for (var i = 2; i <= Setup.DemoMode.Accounts; i++) Assert.Equal(HttpStatusCode.NoContent, (await SignUpAsync(http)).StatusCode);

        var email = $"{Guid.NewGuid():N}@example.com";
        using var eleventh = await SignUpAsync(http, email);
        Assert.Equal(HttpStatusCode.BadRequest, eleventh.StatusCode);
        Assert.Equal("OperationFailed", JsonDocument.Parse(await eleventh.Content.ReadAsStringAsync()).RootElement.GetProperty("type").GetString());
        using var login = await http.PostAsJsonAsync("/auth/session/login", new { email, password = Password });
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
    }

    [Fact]
    public async Task Demo_mode_takes_three_servers_and_refuses_the_fourth_with_too_many_servers()
    {
        using var folder = new TemporaryFolder("spokes-setup");
        var (file, _, _) = await SetupFileAsync(folder);
        await using var api = FreshApi(folder, file);
        var owner = await OnboardedUser.CreateAsync(api, "demo");
        var other = await OnboardedUser.CreateAsync(api, "other");
        for (var i = 0; i < 2; i++)
            Assert.Equal(HttpStatusCode.OK, (await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = $"Demo {i}" })).Status);
        Assert.Equal(HttpStatusCode.OK, (await other.Client.PostAsync("/servers/create", "/servers/create", new { name = "Third" })).Status);

        var fourth = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = "Fourth" });
        Assert.Equal((HttpStatusCode.BadRequest, "TooManyServers"), (fourth.Status, fourth.ErrorType));
        Assert.Equal(Setup.DemoMode.Servers, fourth.Body.GetProperty("max").GetInt32());
        Assert.Equal(Setup.DemoMode.Servers, await api.Services.GetRequiredService<Spokes.Api.Storage.IServerStore>().CountAsync());
    }

    [Fact]
    public async Task A_verified_licence_lifts_the_demo_limits()
    {
        using var folder = new TemporaryFolder("spokes-setup");
        var (file, _, _) = await SetupFileAsync(folder, new() { ["license"] = "suite.spokes-license" });
        File.Copy(Path.Combine(BuildLayout.RepositoryRoot, "tests", "suite.spokes-license"), Path.Combine(folder.Path, "suite.spokes-license"));
        await using var api = FreshApi(folder, file, web => web.UseSetting("Setup:LicenseVerifyingKey", SuiteLicense.VerifyingKey));
        using var http = Browser(api);
        for (var i = 2; i <= Setup.DemoMode.Accounts + 1; i++) Assert.Equal(HttpStatusCode.NoContent, (await SignUpAsync(http)).StatusCode);
        var owner = await OnboardedUser.CreateAsync(api, "licensed");
        for (var i = 0; i <= Setup.DemoMode.Servers; i++)
            Assert.Equal(HttpStatusCode.OK, (await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = $"Licensed {i}" })).Status);
    }

    [Fact]
    public async Task Setup_answers_given_as_text_as_a_cluster_passes_them_complete_setup_like_a_file()
    {
        using var folder = new TemporaryFolder("spokes-setup");
        var (file, email, password) = await SetupFileAsync(folder, new() { ["publicUrl"] = "https://cluster.example.org" });
        var answers = await File.ReadAllTextAsync(file);
        File.Delete(file);
        await using var api = FreshApi(folder, null, web => web.UseSetting("Setup:Answers", answers));
        using var http = Browser(api);
        Assert.Equal(HttpStatusCode.NoContent, (await SignUpAsync(http)).StatusCode);
        Assert.Equal("https://cluster.example.org", (await RootAsync(http)).GetProperty("app").GetString());
        await AdminCookieAsync(http, email, password);
    }

    [Fact]
    public async Task A_setup_file_without_a_public_url_leaves_the_one_the_apphost_gave()
    {
        using var folder = new TemporaryFolder("spokes-setup");
        var (file, _, _) = await SetupFileAsync(folder, new() { ["publicUrl"] = null });
        await using var api = Api(Path.Combine(folder.Path, "settings"), file);
        using var http = Browser(api);
        Assert.Equal(ApiFixture.PublicUrl, (await RootAsync(http)).GetProperty("app").GetString());
    }

    private static HttpClient Browser(WebApplicationFactory<Program> api) => api.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    [Fact]
    public async Task Before_setup_sign_ups_are_refused_the_home_page_leads_to_the_wizard_and_a_wrong_code_is_refused()
    {
        using var folder = new TemporaryFolder("spokes-setup");
        await using var api = Api(folder.Path);
        using var http = Browser(api);

        using var signUp = await SignUpAsync(http);
        Assert.Equal(HttpStatusCode.BadRequest, signUp.StatusCode);
        Assert.Equal("OperationFailed", JsonDocument.Parse(await signUp.Content.ReadAsStringAsync()).RootElement.GetProperty("type").GetString());

        using var home = await http.GetAsync("/home");
        Assert.Equal(HttpStatusCode.SeeOther, home.StatusCode);
        Assert.Equal("/setup", home.Headers.Location!.OriginalString);

        using var wizard = await http.GetAsync("/setup");
        var page = await wizard.Content.ReadAsStringAsync();
        Assert.Contains("Setup code", page);
        Assert.Contains("frame-ancestors 'none'", wizard.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", wizard.Headers.GetValues("X-Content-Type-Options").Single());

        using var wrong = await http.PostAsync("/setup/code", new FormUrlEncodedContent([KeyValuePair.Create("code", "WRONG-CODE")]));
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        // A step posted without having entered the code changes nothing.
        using var eula = await http.PostAsync("/setup/eula", new FormUrlEncodedContent([KeyValuePair.Create("accept", "yes")]));
        Assert.Equal(HttpStatusCode.Forbidden, eula.StatusCode);
        Assert.False(File.Exists(Path.Combine(folder.Path, "setup.json")));
    }

    [Fact]
    public async Task The_code_admits_the_first_browser_only_and_a_form_without_its_csrf_token_is_refused()
    {
        using var folder = new TemporaryFolder("spokes-setup");
        await using var api = Api(folder.Path);
        using var first = Browser(api);
        using var second = Browser(api);

        using var entered = await first.PostAsync("/setup/code", new FormUrlEncodedContent([KeyValuePair.Create("code", Code)]));
        Assert.Equal(HttpStatusCode.SeeOther, entered.StatusCode);
        var cookie = entered.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);

        using var again = await second.PostAsync("/setup/code", new FormUrlEncodedContent([KeyValuePair.Create("code", Code)]));
        Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);

        using var withoutCsrf = new HttpRequestMessage(HttpMethod.Post, "/setup/eula") { Content = new FormUrlEncodedContent([KeyValuePair.Create("accept", "yes")]) };
        withoutCsrf.Headers.Add("Cookie", cookie.Split(';')[0]);
        Assert.Equal(HttpStatusCode.Forbidden, (await first.SendAsync(withoutCsrf)).StatusCode);
        Assert.DoesNotContain("\"eulaAccepted\": true", await File.ReadAllTextAsync(Path.Combine(folder.Path, "setup.json")));
    }

    [Fact]
    public async Task A_setup_file_completes_setup_at_start_after_which_sign_up_and_the_admin_page_work()
    {
        using var folder = new TemporaryFolder("spokes-setup");
        var admin = $"admin-{Guid.NewGuid():N}@example.com";
        var file = Path.Combine(folder.Path, "answers.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
        {
            acceptEula = true, serverName = "Harbour", publicUrl = "http://chat.example.com", identity = "builtin",
            admin = new { email = admin, password = "the admin's password" },
        }));
        await using var api = FreshApi(folder, file);
        using var http = Browser(api);

        using var signUp = await SignUpAsync(http);
        Assert.Equal(HttpStatusCode.NoContent, signUp.StatusCode);
        using var home = await http.GetAsync("/home");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        Assert.Contains("Harbour", await home.Content.ReadAsStringAsync());
        using var wizard = await http.GetAsync("/setup");
        Assert.Equal("/admin", wizard.Headers.Location!.OriginalString);

        using var login = await http.PostAsync("/admin/login", new FormUrlEncodedContent([KeyValuePair.Create("email", admin), KeyValuePair.Create("password", "the admin's password")]));
        Assert.Equal(HttpStatusCode.SeeOther, login.StatusCode);
        using var page = new HttpRequestMessage(HttpMethod.Get, "/admin");
        page.Headers.Add("Cookie", login.Headers.GetValues("Set-Cookie").Single().Split(';')[0]);
        var adminPage = await (await http.SendAsync(page)).Content.ReadAsStringAsync();
        Assert.Contains("Signed in as " + admin, adminPage);
        Assert.Contains("Demo mode", adminPage);
    }

    [Fact]
    public async Task A_setup_file_that_cannot_be_applied_stops_the_api_with_the_reason()
    {
        using var folder = new TemporaryFolder("spokes-setup");
        var file = Path.Combine(folder.Path, "answers.json");
        await File.WriteAllTextAsync(file, """{"acceptEula": false, "serverName": "x", "publicUrl": "http://x", "identity": "builtin", "admin": {"email": "a@example.com", "password": "long enough pw"}}""");
        await using var api = Api(Path.Combine(folder.Path, "settings"), file);
        var error = Assert.ThrowsAny<Exception>(() => api.CreateClient());
        Assert.Contains("acceptEula must be true", error.ToString());
    }

    [Fact]
    public async Task With_built_in_accounts_switched_off_nobody_signs_up_and_only_administrators_log_in_with_a_password()
    {
        using var folder = new TemporaryFolder("spokes-setup");
        var admin = $"admin-{Guid.NewGuid():N}@example.com";
        var file = Path.Combine(folder.Path, "answers.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
        {
            acceptEula = true, serverName = "Harbour", publicUrl = "http://chat.example.com", identity = "oidc",
            oidc = new { issuer = "https://id.example.com", clientId = "spokes", clientSecret = "secret", builtinAccounts = false },
            admin = new { email = admin, password = "the admin's password" },
        }));
        var user = $"{Guid.NewGuid():N}@example.com";
        // An account made while built-in accounts were on.
        using (var open = Browser(fixture.Factory))
            Assert.Equal(HttpStatusCode.NoContent, (await SignUpAsync(open, user)).StatusCode);

        await using var api = Api(Path.Combine(folder.Path, "settings"), file);
        using var http = Browser(api);
        using var signUp = await SignUpAsync(http);
        Assert.Equal(HttpStatusCode.BadRequest, signUp.StatusCode);
        using var userLogin = await http.PostAsJsonAsync("/auth/session/login", new { email = user, password = Password });
        Assert.Equal(HttpStatusCode.BadRequest, userLogin.StatusCode);
        Assert.Contains("OperationFailed", await userLogin.Content.ReadAsStringAsync());
        using var adminLogin = await http.PostAsJsonAsync("/auth/session/login", new { email = admin, password = "the admin's password" });
        Assert.Equal(HttpStatusCode.OK, adminLogin.StatusCode);
    }
}
