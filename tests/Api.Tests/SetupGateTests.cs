using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Spokes.TestSupport;

namespace Spokes.Api.Tests;

/// <summary>The first-start setup as the AppHost turns it on: nothing can sign up before it, a setup file completes it.</summary>
public class SetupGateTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private const string Code = "ABCD-EFGH-JKLM-NPQR";

    private WebApplicationFactory<Program> Api(string folder, string? file = null) => fixture.Factory.WithWebHostBuilder(web =>
    {
        web.UseSetting("Setup:Required", "true").UseSetting("Setup:DataFolder", folder).UseSetting("Setup:Code", Code);
        if (file is not null) web.UseSetting("Setup:File", file);
    });

    private static HttpClient Browser(WebApplicationFactory<Program> api) => api.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    [Fact]
    public async Task Before_setup_sign_ups_are_refused_the_home_page_leads_to_the_wizard_and_a_wrong_code_is_refused()
    {
        using var folder = new TemporaryFolder("spokes-setup");
        await using var api = Api(folder.Path);
        using var http = Browser(api);

        using var signUp = await http.PostAsJsonAsync("/auth/account/create", new { email = $"{Guid.NewGuid():N}@example.com", password = "a fine long password" });
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
        await using var api = Api(Path.Combine(folder.Path, "settings"), file);
        using var http = Browser(api);

        using var signUp = await http.PostAsJsonAsync("/auth/account/create", new { email = $"{Guid.NewGuid():N}@example.com", password = "a fine long password" });
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
            Assert.Equal(HttpStatusCode.NoContent, (await open.PostAsJsonAsync("/auth/account/create", new { email = user, password = "a fine long password" })).StatusCode);

        await using var api = Api(Path.Combine(folder.Path, "settings"), file);
        using var http = Browser(api);
        using var signUp = await http.PostAsJsonAsync("/auth/account/create", new { email = $"{Guid.NewGuid():N}@example.com", password = "a fine long password" });
        Assert.Equal(HttpStatusCode.BadRequest, signUp.StatusCode);
        using var userLogin = await http.PostAsJsonAsync("/auth/session/login", new { email = user, password = "a fine long password" });
        Assert.Equal(HttpStatusCode.BadRequest, userLogin.StatusCode);
        Assert.Contains("OperationFailed", await userLogin.Content.ReadAsStringAsync());
        using var adminLogin = await http.PostAsJsonAsync("/auth/session/login", new { email = admin, password = "the admin's password" });
        Assert.Equal(HttpStatusCode.OK, adminLogin.StatusCode);
    }
}
