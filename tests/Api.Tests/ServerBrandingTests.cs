using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using FileUseKind = Spokes.Contracts.Files.V1.FileUseKind;
using Spokes.TestSupport;

namespace Spokes.Api.Tests;

/// <summary>
/// The server profile's logo and icon, kept by Autumn: the wizard and the admin page hand them over files.proto's
/// Store (no user exists yet during the wizard), keep their ids, release what they replace, show them from Autumn's
/// public address, and refuse bad images without changing anything. A data folder of the version that kept them
/// itself has them moved into Autumn at start.
/// </summary>
public class ServerBrandingTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private const string Code = "BRND-CODE-TEST-0001";

    // A 1×1 PNG, and another one.
    private static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");
    private static readonly byte[] OtherPng = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==");

    private FakeAutumn Autumn => fixture.Autumn;

    private WebApplicationFactory<Program> Api(string folder, string? setupFile = null) => fixture.Factory.WithWebHostBuilder(web =>
    {
        web.UseSetting("Setup:Required", "true").UseSetting("Setup:DataFolder", folder).UseSetting("Setup:Code", Code);
        if (setupFile is not null) web.UseSetting("Setup:File", setupFile);
    });

    private static HttpClient Browser(WebApplicationFactory<Program> api) =>
        api.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });

    private static JsonElement Saved(string folder) => JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "setup.json"))).RootElement;

    private static string? SavedId(string folder, string kind) =>
        Saved(folder).TryGetProperty(kind, out var image) && image.ValueKind == JsonValueKind.Object ? image.GetProperty("id").GetString() : null;

    /// <summary>A browser that entered the setup code and accepted the EULA: its cookie, and the wizard's CSRF token for it.</summary>
    private static async Task<(string Cookie, string Csrf)> AtTheProfileStepAsync(HttpClient http)
    {
        using var entered = await http.PostAsync("/setup/code", new FormUrlEncodedContent([KeyValuePair.Create("code", Code)]));
        Assert.Equal(HttpStatusCode.SeeOther, entered.StatusCode);
        var cookie = entered.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        var csrf = Setup.WebPage.Csrf(cookie[(cookie.IndexOf('=') + 1)..], "setup");
        using var eula = new HttpRequestMessage(HttpMethod.Post, "/setup/eula")
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("csrf", csrf), KeyValuePair.Create("accept", "yes")]),
        };
        eula.Headers.Add("Cookie", cookie);
        Assert.Equal(HttpStatusCode.SeeOther, (await http.SendAsync(eula)).StatusCode);
        return (cookie, csrf);
    }

    /// <summary>Posts a server profile form as a browser does: the name, and the logo and icon inputs (left empty when null).</summary>
    private static async Task<HttpResponseMessage> PostProfileAsync(HttpClient http, string path, string? cookie, string csrf,
        (string Name, byte[] Data)? logo, (string Name, byte[] Data)? icon, string serverName = "Harbour")
    {
        var form = new MultipartFormDataContent { { new StringContent(csrf), "csrf" }, { new StringContent(serverName), "server_name" } };
        foreach (var (field, file) in new[] { ("logo", logo), ("icon", icon) })
        {
            var content = new ByteArrayContent(file?.Data ?? []);
            content.Headers.ContentType = new("image/png");
            // As a browser sends an input left empty: a part without a file name.
            content.Headers.ContentDisposition = new("form-data") { Name = $"\"{field}\"", FileName = $"\"{file?.Name}\"" };
            form.Add(content);
        }
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = form };
        if (cookie is not null) request.Headers.Add("Cookie", cookie);
        return await http.SendAsync(request);
    }

    [Fact]
    public async Task The_wizard_hands_the_logo_and_icon_to_autumn_keeps_their_ids_and_shows_the_logo_from_autumns_public_url()
    {
        using var folder = new TemporaryFolder("spokes-branding");
        await using var api = Api(folder.Path);
        using var http = Browser(api);
        var (cookie, csrf) = await AtTheProfileStepAsync(http);

        using var saved = await PostProfileAsync(http, "/setup/profile", cookie, csrf, ("harbour.png", Png), ("icon.png", OtherPng));
        Assert.Equal(HttpStatusCode.SeeOther, saved.StatusCode);

        var logo = SavedId(folder.Path, "logo")!;
        var icon = SavedId(folder.Path, "icon")!;
        Assert.Equal("banners", Saved(folder.Path).GetProperty("logo").GetProperty("tag").GetString());
        Assert.Equal("icons", Saved(folder.Path).GetProperty("icon").GetProperty("tag").GetString());
        var (logoData, logoUse, logoDeleted) = Autumn.Stored(logo);
        Assert.Equal(Png, logoData);
        Assert.Equal((FileUseKind.InstanceLogo, "instance", false), (logoUse!.Kind, logoUse.Id, logoDeleted));
        Assert.Equal(OtherPng, Autumn.Stored(icon).Data);
        Assert.Equal(FileUseKind.InstanceIcon, Autumn.Stored(icon).UsedFor!.Kind);
        Assert.False(Directory.Exists(Path.Combine(folder.Path, "branding")));

        using var page = new HttpRequestMessage(HttpMethod.Get, "/setup?step=1");
        page.Headers.Add("Cookie", cookie);
        using var shown = await http.SendAsync(page);
        var shownPage = await shown.Content.ReadAsStringAsync();
        Assert.Contains($"src=\"{ApiFixture.PublicUrl}/autumn/banners/{logo}\"", shownPage);
        Assert.Contains($"<link rel=\"icon\" href=\"{ApiFixture.PublicUrl}/autumn/icons/{icon}\">", shownPage);
        Assert.Contains($"img-src 'self' {ApiFixture.PublicUrl};", shown.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/branding/logo")).StatusCode);
    }

    [Fact]
    public async Task A_new_logo_replaces_the_old_one_which_autumn_releases_while_the_icon_left_empty_stays()
    {
        using var folder = new TemporaryFolder("spokes-branding");
        await using var api = Api(folder.Path);
        using var http = Browser(api);
        var (cookie, csrf) = await AtTheProfileStepAsync(http);
        await PostProfileAsync(http, "/setup/profile", cookie, csrf, ("first.png", Png), ("icon.png", Png));
        var (first, icon) = (SavedId(folder.Path, "logo")!, SavedId(folder.Path, "icon")!);

        using var replaced = await PostProfileAsync(http, "/setup/profile", cookie, csrf, ("second.png", OtherPng), icon: null);
        Assert.Equal(HttpStatusCode.SeeOther, replaced.StatusCode);

        var second = SavedId(folder.Path, "logo")!;
        Assert.NotEqual(first, second);
        Assert.True(Autumn.IsDeleted(first));
        Assert.Equal(OtherPng, Autumn.Stored(second).Data);
        Assert.False(Autumn.Stored(second).Deleted);
        Assert.Equal(icon, SavedId(folder.Path, "icon"));
        Assert.False(Autumn.IsDeleted(icon));
    }

    [Theory]
    [InlineData("text", "The logo must be an image")]
    [InlineData("empty", "The logo file is empty.")]
    [InlineData("large", "The logo is too large: at most 6 MB.")]
    [InlineData("bad-icon", "The icon must be an image")]
    [InlineData("autumn-down", "Autumn, the file server, is not answering")]
    public async Task A_bad_logo_or_icon_is_told_on_the_wizard_page_and_changes_nothing(string upload, string message)
    {
        using var folder = new TemporaryFolder("spokes-branding");
        await using var api = Api(folder.Path);
        using var http = Browser(api);
        var (cookie, csrf) = await AtTheProfileStepAsync(http);
        await PostProfileAsync(http, "/setup/profile", cookie, csrf, ("kept.png", Png), icon: null, serverName: "Before");
        var before = File.ReadAllText(Path.Combine(folder.Path, "setup.json"));
        var kept = SavedId(folder.Path, "logo")!;
        var storedBefore = Autumn.StoredCount;

        var large = new byte[6_000_001];
        Png.CopyTo(large, 0);
        (string, byte[])? logo = upload switch
        {
            "text" => ("logo.txt", "not a picture"u8.ToArray()),
            "empty" => ("logo.png", []),
            "large" => ("logo.png", large),
            _ => ("new.png", OtherPng),
        };
        (string, byte[])? icon = upload == "bad-icon" ? ("icon.png", "GIF9 no image"u8.ToArray()) : null;
        Autumn.StoreAnswers = upload != "autumn-down";
        try
        {
            using var refused = await PostProfileAsync(http, "/setup/profile", cookie, csrf, logo, icon, serverName: "After");
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var page = await refused.Content.ReadAsStringAsync();
            Assert.Contains("role=\"alert\"", page);
            Assert.Contains(message, System.Net.WebUtility.HtmlDecode(page));
        }
        finally
        {
            Autumn.StoreAnswers = true;
        }

        Assert.Equal(before, File.ReadAllText(Path.Combine(folder.Path, "setup.json")));
        Assert.False(Autumn.IsDeleted(kept));
        // A logo stored before its icon was refused is released again.
        if (upload == "bad-icon")
        {
            Assert.Equal(storedBefore + 1, Autumn.StoredCount);
        }
        else
        {
            Assert.Equal(storedBefore, Autumn.StoredCount);
        }
    }

    [Fact]
    public async Task Without_the_setup_code_nothing_reaches_autumn()
    {
        using var folder = new TemporaryFolder("spokes-branding");
        await using var api = Api(folder.Path);
        using var http = Browser(api);
        var storedBefore = Autumn.StoredCount;

        using var stranger = await PostProfileAsync(http, "/setup/profile", cookie: "spokes_setup=guessed", Setup.WebPage.Csrf("guessed", "setup"), ("logo.png", Png), null);
        Assert.Equal(HttpStatusCode.Forbidden, stranger.StatusCode);
        using var noCookie = await PostProfileAsync(http, "/setup/profile", cookie: null, "", ("logo.png", Png), null);
        Assert.Equal(HttpStatusCode.Forbidden, noCookie.StatusCode);

        Assert.Equal(storedBefore, Autumn.StoredCount);
        Assert.False(File.Exists(Path.Combine(folder.Path, "setup.json")));
    }

    /// <summary>An instance set up by a setup file, with a global administrator; their e-mail and password.</summary>
    private static async Task<(string Email, string Password)> SetUpAsync(TemporaryFolder folder)
    {
        var email = $"admin-{Guid.NewGuid():N}@example.com";
        const string password = "the admin's password";
        await File.WriteAllTextAsync(Path.Combine(folder.Path, "answers.json"), JsonSerializer.Serialize(new
        {
            acceptEula = true, serverName = "Harbour", publicUrl = "http://chat.example.com", identity = "builtin", admin = new { email, password },
        }));
        return (email, password);
    }

    [Fact]
    public async Task On_the_admin_page_an_administrator_replaces_the_logo_and_someone_else_cannot()
    {
        using var folder = new TemporaryFolder("spokes-branding");
        var (email, password) = await SetUpAsync(folder);
        var settings = Path.Combine(folder.Path, "settings");
        await using var api = Api(settings, Path.Combine(folder.Path, "answers.json"));
        using var http = Browser(api);

        // A user who is no administrator, with a session of their own as the admin page's cookie.
        var user = $"{Guid.NewGuid():N}@example.com";
        Assert.Equal(HttpStatusCode.NoContent, (await http.PostAsJsonAsync("/auth/account/create", new { email = user, password = "a fine long password" })).StatusCode);
        using var userLogin = await http.PostAsJsonAsync("/auth/session/login", new { email = user, password = "a fine long password" });
        var userToken = JsonDocument.Parse(await userLogin.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
        var storedBefore = Autumn.StoredCount;
        using var outsider = await PostProfileAsync(http, "/admin/profile", "spokes_admin=" + userToken, Setup.WebPage.Csrf(userToken, "admin"), ("logo.png", Png), null);
        Assert.Equal(HttpStatusCode.Forbidden, outsider.StatusCode);
        Assert.Equal(storedBefore, Autumn.StoredCount);

        using var login = await http.PostAsync("/admin/login", new FormUrlEncodedContent([KeyValuePair.Create("email", email), KeyValuePair.Create("password", password)]));
        var cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        var csrf = Setup.WebPage.Csrf(cookie[(cookie.IndexOf('=') + 1)..], "admin");
        Assert.Equal(HttpStatusCode.SeeOther, (await PostProfileAsync(http, "/admin/profile", cookie, csrf, ("one.png", Png), null)).StatusCode);
        var first = SavedId(settings, "logo")!;
        Assert.Equal(HttpStatusCode.SeeOther, (await PostProfileAsync(http, "/admin/profile", cookie, csrf, ("two.png", OtherPng), null)).StatusCode);
        var second = SavedId(settings, "logo")!;
        Assert.True(Autumn.IsDeleted(first));
        Assert.False(Autumn.IsDeleted(second));

        using var refused = await PostProfileAsync(http, "/admin/profile", cookie, csrf, ("notes.txt", "plain text"u8.ToArray()), null);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("The logo must be an image", System.Net.WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync()));
        Assert.Equal(second, SavedId(settings, "logo"));

        var home = await (await http.GetAsync("/home")).Content.ReadAsStringAsync();
        Assert.Contains($"src=\"http://chat.example.com/autumn/banners/{second}\"", home);
    }

    /// <summary>The migration runs in the background from the Api's start: its end is waited for, up to 30 s.</summary>
    private static Task WaitUntilAsync(Func<bool> done) =>
        Poll.UntilAsync(done, TimeSpan.FromSeconds(30), "The data folder's branding was not moved into Autumn within 30 s.");

    [Fact]
    public async Task A_logo_and_icon_kept_in_the_data_folder_by_the_previous_version_move_into_autumn_at_start()
    {
        using var folder = new TemporaryFolder("spokes-branding");
        var (_, _) = await SetUpAsync(folder);
        var settings = Path.Combine(folder.Path, "settings");
        await using (var before = Api(settings, Path.Combine(folder.Path, "answers.json")))
            before.CreateClient().Dispose();
        // As the previous version left the folder: the file names in setup.json, the images beside it.
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(settings, "setup.json")))!;
        json["logoFile"] = "logo.png";
        json["iconFile"] = "icon.gif";
        File.WriteAllText(Path.Combine(settings, "setup.json"), json.ToJsonString());
        Directory.CreateDirectory(Path.Combine(settings, "branding"));
        File.WriteAllBytes(Path.Combine(settings, "branding", "logo.png"), Png);
        File.WriteAllBytes(Path.Combine(settings, "branding", "icon.gif"), "GIF89a not really"u8.ToArray());

        await using var api = Api(settings);
        using var http = Browser(api);
        // The move is done when the old folder is gone: it goes after both images are in Autumn and setup.json.
        await WaitUntilAsync(() => !Directory.Exists(Path.Combine(settings, "branding")));

        var logo = SavedId(settings, "logo")!;
        Assert.Equal(Png, Autumn.Stored(logo).Data);
        Assert.Equal(FileUseKind.InstanceLogo, Autumn.Stored(logo).UsedFor!.Kind);
        Assert.Equal("GIF89a not really"u8.ToArray(), Autumn.Stored(SavedId(settings, "icon")!).Data);
        Assert.False(Saved(settings).TryGetProperty("logoFile", out var old) && old.ValueKind != JsonValueKind.Null);
        Assert.Contains($"/autumn/banners/{logo}", await (await http.GetAsync("/home")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_data_folders_logo_waits_for_autumn_and_moves_once_it_answers()
    {
        using var folder = new TemporaryFolder("spokes-branding");
        var answers = Path.Combine(folder.Path, "answers.json");
        await SetUpAsync(folder);
        var settings = Path.Combine(folder.Path, "settings");
        await using (var before = Api(settings, answers))
            before.CreateClient().Dispose();
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(settings, "setup.json")))!;
        json["logoFile"] = "logo.png";
        File.WriteAllText(Path.Combine(settings, "setup.json"), json.ToJsonString());
        Directory.CreateDirectory(Path.Combine(settings, "branding"));
        File.WriteAllBytes(Path.Combine(settings, "branding", "logo.png"), Png);

        Autumn.StoreAnswers = false;
        try
        {
            await using var api = Api(settings);
            api.CreateClient().Dispose();
            await Task.Delay(1500);
            Assert.Null(SavedId(settings, "logo"));
            Assert.True(File.Exists(Path.Combine(settings, "branding", "logo.png")));

            Autumn.StoreAnswers = true;
            await WaitUntilAsync(() => !File.Exists(Path.Combine(settings, "branding", "logo.png")));
            Assert.Equal(Png, Autumn.Stored(SavedId(settings, "logo")!).Data);
        }
        finally
        {
            Autumn.StoreAnswers = true;
        }
    }
}
