using System.Net;

namespace Spokes.Api.Tests;

[CollectionDefinition(nameof(ApiCollection))]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>;

[Collection(nameof(ApiCollection))]
public class AccountsAndSessionsTests(ApiFixture api)
{
    private const string Password = "correct horse battery staple";

    private StoatSession Client() => new(api.Factory.CreateClient());

    private static string NewEmail() => $"user-{Guid.NewGuid():N}@example.com";

    /// <summary>Signs up and logs in; returns the logged-in client and its user id.</summary>
    private async Task<(StoatSession Client, string UserId, string Email)> SignUpAsync(string? name = null)
    {
        var client = Client();
        var email = NewEmail();
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/account/create", "/auth/account/create", new { email, password = Password })).Status);
        var login = await client.PostAsync("/auth/session/login", "/auth/session/login", new { email, password = Password, friendly_name = name ?? "Tests" });
        Assert.Equal(HttpStatusCode.OK, login.Status);
        Assert.Equal("Success", login.Body.GetProperty("result").GetString());
        client.Token = login.Body.GetProperty("token").GetString();
        return (client, login.Body.GetProperty("user_id").GetString()!, email);
    }

    [Fact]
    public async Task Password_and_email_change_only_with_the_current_password_and_a_taken_address_changes_nothing()
    {
        var (client, userId, email) = await SignUpAsync();
        var (_, _, otherEmail) = await SignUpAsync();
        var account = await client.GetAsync("/auth/account/", "/auth/account/");
        Assert.Equal((userId, email), (account.Body.GetProperty("_id").GetString(), account.Body.GetProperty("email").GetString()));

        var wrong = await client.PatchAsync("/auth/account/change/password", "/auth/account/change/password", new { password = "a brand new password", current_password = "wrong" });
        Assert.Equal((HttpStatusCode.Unauthorized, "InvalidCredentials"), (wrong.Status, wrong.ErrorType));
        var weak = await client.PatchAsync("/auth/account/change/password", "/auth/account/change/password", new { password = "short", current_password = Password });
        Assert.Equal("ShortPassword", weak.ErrorType);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PatchAsync("/auth/account/change/password", "/auth/account/change/password",
            new { password = "a brand new password", current_password = Password })).Status);
        var oldLogin = await Client().PostAsync("/auth/session/login", "/auth/session/login", new { email, password = Password });
        Assert.Equal("InvalidCredentials", oldLogin.ErrorType);
        Assert.Equal("Success", (await Client().PostAsync("/auth/session/login", "/auth/session/login", new { email, password = "a brand new password" }))
            .Body.GetProperty("result").GetString());

        var taken = await client.PatchAsync("/auth/account/change/email", "/auth/account/change/email", new { email = otherEmail.ToUpperInvariant(), current_password = "a brand new password" });
        Assert.Equal(("IncorrectData", "email"), (taken.ErrorType, taken.Body.GetProperty("with").GetString()));
        Assert.Equal(email, (await client.GetAsync("/auth/account/", "/auth/account/")).Body.GetProperty("email").GetString());
        var newEmail = NewEmail();
        Assert.Equal(HttpStatusCode.NoContent, (await client.PatchAsync("/auth/account/change/email", "/auth/account/change/email",
            new { email = newEmail, current_password = "a brand new password" })).Status);
        Assert.Equal(newEmail, (await client.GetAsync("/auth/account/", "/auth/account/")).Body.GetProperty("email").GetString());
        Assert.Equal("Success", (await Client().PostAsync("/auth/session/login", "/auth/session/login", new { email = newEmail, password = "a brand new password" }))
            .Body.GetProperty("result").GetString());
    }

    [Fact]
    public async Task A_new_user_signs_up_logs_in_onboards_and_fetches_themselves()
    {
        var (client, userId, _) = await SignUpAsync();

        var hello = await client.GetAsync("/onboard/hello", "/onboard/hello");
        Assert.True(hello.Body.GetProperty("onboarding").GetBoolean());
        Assert.Equal("InvalidSession", (await client.GetAsync("/users/@me", "/users/@me")).ErrorType);

        var onboarded = await client.PostAsync("/onboard/complete", "/onboard/complete", new { username = "alice" });
        Assert.Equal(HttpStatusCode.OK, onboarded.Status);
        Assert.Equal(userId, onboarded.Body.GetProperty("_id").GetString());
        Assert.Equal("alice", onboarded.Body.GetProperty("username").GetString());
        Assert.Matches("^[0-9]{4}$", onboarded.Body.GetProperty("discriminator").GetString());
        Assert.Equal("User", onboarded.Body.GetProperty("relationship").GetString());

        Assert.False((await client.GetAsync("/onboard/hello", "/onboard/hello")).Body.GetProperty("onboarding").GetBoolean());
        var me = await client.GetAsync("/users/@me", "/users/@me");
        Assert.Equal(HttpStatusCode.OK, me.Status);
        Assert.Equal(onboarded.Body.GetProperty("discriminator").GetString(), me.Body.GetProperty("discriminator").GetString());

        var again = await client.PostAsync("/onboard/complete", "/onboard/complete", new { username = "another" });
        Assert.Equal((HttpStatusCode.Forbidden, "AlreadyOnboarded"), (again.Status, again.ErrorType));
    }

    [Fact]
    public async Task Two_users_may_share_a_username_with_different_discriminators()
    {
        var first = await SignUpAsync();
        var second = await SignUpAsync();
        var a = await first.Client.PostAsync("/onboard/complete", "/onboard/complete", new { username = "Sam" });
        var b = await second.Client.PostAsync("/onboard/complete", "/onboard/complete", new { username = "sam" });
        Assert.Equal(HttpStatusCode.OK, b.Status);
        Assert.NotEqual(a.Body.GetProperty("discriminator").GetString(), b.Body.GetProperty("discriminator").GetString());
    }

    [Theory]
    [InlineData("x")]
    [InlineData("has space")]
    [InlineData("admin")]
    public async Task Unacceptable_usernames_are_refused_and_nothing_is_created(string username)
    {
        var (client, _, _) = await SignUpAsync();
        var reply = await client.PostAsync("/onboard/complete", "/onboard/complete", new { username });
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidUsername"), (reply.Status, reply.ErrorType));
        Assert.True((await client.GetAsync("/onboard/hello", "/onboard/hello")).Body.GetProperty("onboarding").GetBoolean());
    }

    [Fact]
    public async Task Signing_up_twice_with_one_address_reveals_nothing_and_changes_nothing()
    {
        var (_, userId, email) = await SignUpAsync();
        var client = Client();
        var again = await client.PostAsync("/auth/account/create", "/auth/account/create", new { email = email.ToUpperInvariant(), password = "a different password" });
        Assert.Equal(HttpStatusCode.NoContent, again.Status);

        var withOld = await client.PostAsync("/auth/session/login", "/auth/session/login", new { email, password = Password });
        Assert.Equal(userId, withOld.Body.GetProperty("user_id").GetString());
        var withNew = await client.PostAsync("/auth/session/login", "/auth/session/login", new { email, password = "a different password" });
        Assert.Equal((HttpStatusCode.Unauthorized, "InvalidCredentials"), (withNew.Status, withNew.ErrorType));
    }

    [Theory]
    [InlineData("not-an-email", Password, "IncorrectData")]
    [InlineData("", Password, "IncorrectData")]
    [InlineData("short@example.com", "1234567", "ShortPassword")]
    public async Task Bad_sign_ups_are_refused_with_authifiers_errors(string email, string password, string type)
    {
        var reply = await Client().PostAsync("/auth/account/create", "/auth/account/create", new { email, password });
        Assert.Equal((HttpStatusCode.BadRequest, type), (reply.Status, reply.ErrorType));
        if (type == "ShortPassword")
        {
            var login = await Client().PostAsync("/auth/session/login", "/auth/session/login", new { email, password = "12345678" });
            Assert.Equal("InvalidCredentials", login.ErrorType);
        }
    }

    [Theory]
    [InlineData("{\"email\": ")]
    [InlineData("[1, 2, 3]")]
    [InlineData("{\"email\": 5, \"password\": true}")]
    public async Task Unreadable_bodies_are_refused_as_failed_validation(string json)
    {
        var reply = await Client().PostRawAsync("/auth/account/create", "/auth/account/create", json);
        Assert.Equal((HttpStatusCode.BadRequest, "FailedValidation"), (reply.Status, reply.ErrorType));
        Assert.True(reply.Body.GetProperty("error").GetString()!.Length > 0);
    }

    [Fact]
    public async Task Wrong_credentials_unknown_addresses_and_unknown_mfa_tickets_are_refused()
    {
        var (_, _, email) = await SignUpAsync();
        var client = Client();
        Assert.Equal("InvalidCredentials", (await client.PostAsync("/auth/session/login", "/auth/session/login", new { email, password = "wrong password" })).ErrorType);
        Assert.Equal("InvalidCredentials", (await client.PostAsync("/auth/session/login", "/auth/session/login", new { email = NewEmail(), password = Password })).ErrorType);
        var mfa = await client.PostAsync("/auth/session/login", "/auth/session/login", new { mfa_ticket = "forged" });
        Assert.Equal((HttpStatusCode.Unauthorized, "InvalidToken"), (mfa.Status, mfa.ErrorType));
    }

    [Fact]
    public async Task Requests_without_a_session_or_with_a_revoked_one_are_refused()
    {
        var anonymous = await Client().GetAsync("/auth/session/all", "/auth/session/all");
        Assert.Equal((HttpStatusCode.Unauthorized, "NotAuthenticated"), (anonymous.Status, anonymous.ErrorType));
        var forged = Client();
        forged.Token = new string('x', 64);
        Assert.Equal("InvalidSession", (await forged.GetAsync("/users/@me", "/users/@me")).ErrorType);

        var (client, _, _) = await SignUpAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/session/logout", "/auth/session/logout")).Status);
        Assert.Equal("InvalidSession", (await client.GetAsync("/auth/session/all", "/auth/session/all")).ErrorType);
    }

    [Fact]
    public async Task Sessions_are_listed_renamed_and_revoked_one_by_one_or_all_at_once()
    {
        var (laptop, _, email) = await SignUpAsync("Laptop");
        var phone = Client();
        phone.Token = (await phone.PostAsync("/auth/session/login", "/auth/session/login", new { email, password = Password, friendly_name = "Phone" }))
            .Body.GetProperty("token").GetString();
        var tablet = Client();
        tablet.Token = (await tablet.PostAsync("/auth/session/login", "/auth/session/login", new { email, password = Password }))
            .Body.GetProperty("token").GetString();

        var sessions = (await laptop.GetAsync("/auth/session/all", "/auth/session/all")).Body.EnumerateArray()
            .ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("_id").GetString()!);
        Assert.Equal(["Laptop", "Phone", "Unknown"], sessions.Keys);

        var renamed = await laptop.PatchAsync($"/auth/session/{sessions["Phone"]}", "/auth/session/{id}", new { friendly_name = "Old phone" });
        Assert.Equal("Old phone", renamed.Body.GetProperty("name").GetString());
        Assert.Equal("FailedValidation", (await laptop.PatchAsync($"/auth/session/{sessions["Phone"]}", "/auth/session/{id}", new { friendly_name = "" })).ErrorType);

        Assert.Equal(HttpStatusCode.NoContent, (await laptop.DeleteAsync($"/auth/session/{sessions["Phone"]}", "/auth/session/{id}")).Status);
        Assert.Equal("InvalidSession", (await phone.GetAsync("/auth/session/all", "/auth/session/all")).ErrorType);
        Assert.Equal("InvalidSession", (await laptop.DeleteAsync($"/auth/session/{sessions["Phone"]}", "/auth/session/{id}")).ErrorType);

        Assert.Equal(HttpStatusCode.NoContent, (await laptop.DeleteAsync("/auth/session/all", "/auth/session/all")).Status);
        Assert.Equal("InvalidSession", (await tablet.GetAsync("/auth/session/all", "/auth/session/all")).ErrorType);
        Assert.Single((await laptop.GetAsync("/auth/session/all", "/auth/session/all")).Body.EnumerateArray());

        Assert.Equal(HttpStatusCode.NoContent, (await laptop.DeleteAsync("/auth/session/all?revoke_self=true", "/auth/session/all")).Status);
        Assert.Equal("InvalidSession", (await laptop.GetAsync("/auth/session/all", "/auth/session/all")).ErrorType);
    }

    [Fact]
    public async Task Nobody_renames_or_revokes_another_users_session()
    {
        var (victim, _, _) = await SignUpAsync();
        var victimSession = (await victim.GetAsync("/auth/session/all", "/auth/session/all")).Body[0].GetProperty("_id").GetString();
        var (attacker, _, _) = await SignUpAsync();

        Assert.Equal("InvalidSession", (await attacker.PatchAsync($"/auth/session/{victimSession}", "/auth/session/{id}", new { friendly_name = "pwned" })).ErrorType);
        Assert.Equal("InvalidSession", (await attacker.DeleteAsync($"/auth/session/{victimSession}", "/auth/session/{id}")).ErrorType);
        Assert.Equal("Tests", (await victim.GetAsync("/auth/session/all", "/auth/session/all")).Body[0].GetProperty("name").GetString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("text/plain;charset=UTF-8")]
    public async Task Json_sent_the_way_stoat_clients_send_it_is_accepted(string? contentType)
    {
        // stoat-api posts JSON.stringify(body) through fetch: text/plain, or no type at all.
        var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes($"{{\"email\":\"{NewEmail()}\",\"password\":\"{Password}\"}}"));
        if (contentType is not null) content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        using var response = await api.Factory.CreateClient().PostAsync("/auth/account/create", content);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task Unknown_routes_answer_in_stoats_error_shape()
    {
        using var response = await api.Factory.CreateClient().GetAsync("/no/such/route");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("NotFound", body.GetProperty("type").GetString());
        Assert.Matches(@"^ServiceDefaults/StoatErrors\.cs:\d+$", body.GetProperty("location").GetString());
    }
}
