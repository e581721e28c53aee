using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Spokes.Api.Identity;
using Spokes.Api.Storage;
using Spokes.TestSupport;

namespace Spokes.Api.Tests;

/// <summary>
/// Email verification, password reset, MFA, disabling and deleting accounts, invite-only sign-up and captcha,
/// through the routes, with account emails sent to a real SMTP server started by the test.
/// </summary>
[Collection(nameof(ApiCollection))]
public sealed class AccountSecurityTests(ApiFixture api) : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";
    private MailingApi _mailing = null!;

    private SmtpSink Smtp => _mailing.Smtp;

    private WebApplicationFactory<Program> WithEmail => _mailing.Factory;

    public async Task InitializeAsync() => _mailing = await MailingApi.StartAsync(api.Factory);

    public async Task DisposeAsync() => await _mailing.DisposeAsync();

    private static string NewEmail() => $"user-{Guid.NewGuid():N}@example.com";

    private static object Credentials(string email, string password = Password) => new { email, password, friendly_name = "Tests" };

    private async Task<string> TokenFromEmailAsync(string to, string route)
    {
        var email = await Smtp.NextAsync(to);
        Assert.Equal(MailedLinks.From, Regex.Match(email.From ?? "", @"<(.+)>").Groups[1].Value);
        var link = MailedLinks.In(email.Text);
        Assert.Equal(route, link.Route);
        return link.Token;
    }

    private static async Task<StoatSession> LogInAsync(WebApplicationFactory<Program> factory, string email, string password = Password)
    {
        var client = new StoatSession(factory.CreateClient());
        var login = await client.PostAsync("/auth/session/login", "/auth/session/login", Credentials(email, password));
        Assert.Equal("Success", login.Body.GetProperty("result").GetString());
        client.Token = login.Body.GetProperty("token").GetString();
        return client;
    }

    /// <summary>Signs up on the instance with email, opens the emailed link, and logs in with the ticket it gives.</summary>
    private async Task<(StoatSession Client, string Email)> SignUpVerifiedAsync()
    {
        var email = NewEmail();
        var client = new StoatSession(WithEmail.CreateClient());
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/account/create", "/auth/account/create", new { email, password = Password })).Status);
        var token = await TokenFromEmailAsync(email, "login/verify");
        var verified = await client.PostAsync($"/auth/account/verify/{token}", "/auth/account/verify/{code}");
        var ticket = verified.Body.GetProperty("ticket");
        Assert.True(ticket.GetProperty("authorised").GetBoolean());
        var login = await client.PostAsync("/auth/session/login", "/auth/session/login", new { mfa_ticket = ticket.GetProperty("token").GetString(), friendly_name = "Tests" });
        client.Token = login.Body.GetProperty("token").GetString();
        return (client, email);
    }

    [Fact]
    public async Task With_smtp_sign_up_emails_a_link_that_verifies_the_account_and_logs_it_in_once()
    {
        var email = NewEmail();
        var client = new StoatSession(WithEmail.CreateClient());
        Assert.True((await client.GetAsync("/", "/")).Body.GetProperty("features").GetProperty("email").GetBoolean());
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/account/create", "/auth/account/create", new { email, password = Password })).Status);
        var first = await TokenFromEmailAsync(email, "login/verify");
        var unverified = await client.PostAsync("/auth/session/login", "/auth/session/login", Credentials(email));
        Assert.Equal((HttpStatusCode.Forbidden, "UnverifiedAccount"), (unverified.Status, unverified.ErrorType));

        // Resending replaces the link; an address nobody has is answered the same and gets nothing.
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/account/reverify", "/auth/account/reverify", new { email })).Status);
        var second = await TokenFromEmailAsync(email, "login/verify");
        var nobody = NewEmail();
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/account/reverify", "/auth/account/reverify", new { email = nobody })).Status);
        Assert.NotEqual(first, second);
        Assert.Equal("InvalidToken", (await client.PostAsync($"/auth/account/verify/{first}", "/auth/account/verify/{code}")).ErrorType);

        var verified = await client.PostAsync($"/auth/account/verify/{second}", "/auth/account/verify/{code}");
        Assert.Equal(HttpStatusCode.OK, verified.Status);
        var ticket = verified.Body.GetProperty("ticket").GetProperty("token").GetString();
        Assert.Equal("InvalidToken", (await client.PostAsync($"/auth/account/verify/{second}", "/auth/account/verify/{code}")).ErrorType);
        var login = await client.PostAsync("/auth/session/login", "/auth/session/login", new { mfa_ticket = ticket });
        Assert.Equal("Success", login.Body.GetProperty("result").GetString());
        Assert.Equal("InvalidToken", (await client.PostAsync("/auth/session/login", "/auth/session/login", new { mfa_ticket = ticket })).ErrorType);
        await LogInAsync(WithEmail, email);
        Assert.False(Smtp.HasMail(nobody));
    }

    [Fact]
    public async Task Password_reset_by_email_sets_the_new_password_and_can_log_every_device_out()
    {
        var (client, email) = await SignUpVerifiedAsync();
        var anonymous = new StoatSession(WithEmail.CreateClient());
        Assert.Equal(HttpStatusCode.NoContent, (await anonymous.PostAsync("/auth/account/reset_password", "/auth/account/reset_password", new { email })).Status);
        var token = await TokenFromEmailAsync(email, "login/reset");

        const string reset = "/auth/account/reset_password";
        Assert.Equal("InvalidToken", (await anonymous.PatchAsync(reset, reset, new { token = "wrong", password = "a whole new password" })).ErrorType);
        Assert.Equal("ShortPassword", (await anonymous.PatchAsync(reset, reset, new { token, password = "short" })).ErrorType);
        await LogInAsync(WithEmail, email);

        Assert.Equal(HttpStatusCode.NoContent, (await anonymous.PatchAsync(reset, reset, new { token, password = "a whole new password", remove_sessions = true })).Status);
        Assert.Equal("InvalidSession", (await client.GetAsync("/auth/account/", "/auth/account/")).ErrorType);
        Assert.Equal("InvalidCredentials", (await anonymous.PostAsync("/auth/session/login", "/auth/session/login", Credentials(email))).ErrorType);
        await LogInAsync(WithEmail, email, "a whole new password");
        Assert.Equal("InvalidToken", (await anonymous.PatchAsync(reset, reset, new { token, password = "yet another password" })).ErrorType);
    }

    [Fact]
    public async Task Without_smtp_a_password_reset_is_refused_because_no_link_could_arrive()
    {
        var client = new StoatSession(api.Factory.CreateClient());
        var refused = await client.PostAsync("/auth/account/reset_password", "/auth/account/reset_password", new { email = NewEmail() });
        Assert.Equal("OperationFailed", refused.ErrorType);
    }

    [Fact]
    public async Task With_smtp_a_new_address_applies_only_once_its_link_is_opened()
    {
        var (client, email) = await SignUpVerifiedAsync();
        var newEmail = NewEmail();
        Assert.Equal(HttpStatusCode.NoContent, (await client.PatchAsync("/auth/account/change/email", "/auth/account/change/email",
            new { email = newEmail, current_password = Password })).Status);
        var token = await TokenFromEmailAsync(newEmail, "login/verify");
        Assert.Equal(email, (await client.GetAsync("/auth/account/", "/auth/account/")).Body.GetProperty("email").GetString());

        var moved = await client.PostAsync($"/auth/account/verify/{token}", "/auth/account/verify/{code}");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, moved.Body.ValueKind);
        Assert.Equal(newEmail, (await client.GetAsync("/auth/account/", "/auth/account/")).Body.GetProperty("email").GetString());
        await LogInAsync(WithEmail, newEmail);
    }

    [Fact]
    public async Task Totp_turns_on_with_a_confirmed_code_and_then_login_owes_it_and_a_wrong_code_changes_nothing()
    {
        var email = NewEmail();
        var client = new StoatSession(api.Factory.CreateClient());
        await client.PostAsync("/auth/account/create", "/auth/account/create", new { email, password = Password });
        client = await LogInAsync(api.Factory, email);
        Assert.Equal(["Password"], (await client.GetAsync("/auth/mfa/methods", "/auth/mfa/methods")).Body.EnumerateArray().Select(m => m.GetString()));
        Assert.False((await client.GetAsync("/auth/mfa/", "/auth/mfa/")).Body.GetProperty("totp_mfa").GetBoolean());

        // Sensitive routes need a validated ticket, which only the right answer gets, and each ticket works once.
        Assert.Equal("MissingHeaders", (await client.PostAsync("/auth/mfa/totp", "/auth/mfa/totp")).ErrorType);
        Assert.Equal("InvalidCredentials", (await client.PutAsync("/auth/mfa/ticket", "/auth/mfa/ticket", new { password = "wrong password" })).ErrorType);
        client.MfaTicket = await TicketAsync(client, new { password = Password });
        var secret = (await client.PostAsync("/auth/mfa/totp", "/auth/mfa/totp")).Body.GetProperty("secret").GetString()!;
        Assert.Equal("InvalidToken", (await client.PostAsync("/auth/mfa/totp", "/auth/mfa/totp")).ErrorType);
        client.MfaTicket = null;

        Assert.Equal("InvalidToken", (await client.PutAsync("/auth/mfa/totp", "/auth/mfa/totp", new { totp_code = WrongCode(secret) })).ErrorType);
        Assert.False((await client.GetAsync("/auth/mfa/", "/auth/mfa/")).Body.GetProperty("totp_mfa").GetBoolean());
        Assert.Equal(HttpStatusCode.NoContent, (await client.PutAsync("/auth/mfa/totp", "/auth/mfa/totp", new { totp_code = Totp.Code(secret, DateTimeOffset.UtcNow) })).Status);
        var status = (await client.GetAsync("/auth/mfa/", "/auth/mfa/")).Body;
        Assert.True(status.GetProperty("totp_mfa").GetBoolean() && status.GetProperty("recovery_active").GetBoolean());
        Assert.Equal(["Totp", "Recovery"], (await client.GetAsync("/auth/mfa/methods", "/auth/mfa/methods")).Body.EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("DisallowedMFAMethod", (await client.PutAsync("/auth/mfa/ticket", "/auth/mfa/ticket", new { password = Password })).ErrorType);

        // A password login now hands out a ticket that owes the second factor.
        var anonymous = new StoatSession(api.Factory.CreateClient());
        var owed = (await anonymous.PostAsync("/auth/session/login", "/auth/session/login", Credentials(email))).Body;
        Assert.Equal("MFA", owed.GetProperty("result").GetString());
        Assert.Equal(["Totp", "Recovery"], owed.GetProperty("allowed_methods").EnumerateArray().Select(m => m.GetString()));
        var loginTicket = owed.GetProperty("ticket").GetString();
        var sessionsBefore = (await client.GetAsync("/auth/session/all", "/auth/session/all")).Body.GetArrayLength();
        var wrong = await anonymous.PostAsync("/auth/session/login", "/auth/session/login",
            new { mfa_ticket = loginTicket, mfa_response = new { totp_code = WrongCode(secret) } });
        Assert.Equal((HttpStatusCode.Unauthorized, "InvalidToken"), (wrong.Status, wrong.ErrorType));
        Assert.Equal(sessionsBefore, (await client.GetAsync("/auth/session/all", "/auth/session/all")).Body.GetArrayLength());
        var right = await anonymous.PostAsync("/auth/session/login", "/auth/session/login",
            new { mfa_ticket = loginTicket, mfa_response = new { totp_code = Totp.Code(secret, DateTimeOffset.UtcNow) }, friendly_name = "Phone" });
        Assert.Equal("Success", right.Body.GetProperty("result").GetString());
        Assert.Equal("InvalidToken", (await anonymous.PostAsync("/auth/session/login", "/auth/session/login",
            new { mfa_ticket = loginTicket, mfa_response = new { totp_code = Totp.Code(secret, DateTimeOffset.UtcNow) } })).ErrorType);

        // Recovery codes: each logs in once. (A TOTP code works once too, so this takes the next one.)
        client.MfaTicket = await TicketAsync(client, new { totp_code = Totp.Code(secret, DateTimeOffset.UtcNow.AddSeconds(30)) });
        var codes = (await client.PostAsync("/auth/mfa/recovery", "/auth/mfa/recovery")).Body.EnumerateArray().Select(c => c.GetString()!).ToList();
        Assert.Equal(10, codes.Count);
        Assert.All(codes, c => Assert.Matches("^[a-z0-9]{5}-[a-z0-9]{5}$", c));
        foreach (var expected in new[] { "Success", "InvalidToken" })
        {
            var ticket = (await anonymous.PostAsync("/auth/session/login", "/auth/session/login", Credentials(email))).Body.GetProperty("ticket").GetString();
            var login = await anonymous.PostAsync("/auth/session/login", "/auth/session/login", new { mfa_ticket = ticket, mfa_response = new { recovery_code = codes[0] } });
            Assert.Equal(expected, login.Body.TryGetProperty("result", out var result) ? result.GetString() : login.ErrorType);
        }

        client.MfaTicket = await TicketAsync(client, new { recovery_code = codes[1] });
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/auth/mfa/totp", "/auth/mfa/totp")).Status);
        client.MfaTicket = null;
        Assert.Equal(["Password"], (await client.GetAsync("/auth/mfa/methods", "/auth/mfa/methods")).Body.EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("Success", (await anonymous.PostAsync("/auth/session/login", "/auth/session/login", Credentials(email))).Body.GetProperty("result").GetString());
    }

    private static async Task<string> TicketAsync(StoatSession client, object response)
    {
        var saved = client.MfaTicket;
        client.MfaTicket = null;
        var ticket = (await client.PutAsync("/auth/mfa/ticket", "/auth/mfa/ticket", response)).Body;
        client.MfaTicket = saved;
        Assert.True(ticket.GetProperty("validated").GetBoolean());
        return ticket.GetProperty("token").GetString()!;
    }

    /// <summary>A six-digit code that is none of the codes accepted around now.</summary>
    private static string WrongCode(string secret)
    {
        var now = DateTimeOffset.UtcNow;
        var accepted = new[] { -60, -30, 0, 30, 60 }.Select(s => Totp.Code(secret, now.AddSeconds(s))).ToHashSet();
        return Enumerable.Range(0, 10).Select(d => new string((char)('0' + d), 6)).First(c => !accepted.Contains(c));
    }

    [Fact]
    public async Task Disabling_logs_every_device_out_and_login_then_answers_disabled()
    {
        var email = NewEmail();
        var client = new StoatSession(api.Factory.CreateClient());
        await client.PostAsync("/auth/account/create", "/auth/account/create", new { email, password = Password });
        client = await LogInAsync(api.Factory, email);
        var other = await LogInAsync(api.Factory, email);
        var userId = (await client.GetAsync("/auth/account/", "/auth/account/")).Body.GetProperty("_id").GetString();

        Assert.Equal("MissingHeaders", (await client.PostAsync("/auth/account/disable", "/auth/account/disable")).ErrorType);
        client.MfaTicket = await TicketAsync(client, new { password = Password });
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/account/disable", "/auth/account/disable")).Status);
        Assert.Equal("InvalidSession", (await other.GetAsync("/auth/account/", "/auth/account/")).ErrorType);
        var login = await new StoatSession(api.Factory.CreateClient()).PostAsync("/auth/session/login", "/auth/session/login", Credentials(email));
        Assert.Equal(("Disabled", userId), (login.Body.GetProperty("result").GetString(), login.Body.GetProperty("user_id").GetString()));
    }

    [Fact]
    public async Task Deletion_is_confirmed_by_email_then_disables_and_is_carried_out_after_the_grace_period()
    {
        var (client, email) = await SignUpVerifiedAsync();
        var me = (await client.PostAsync("/onboard/complete", "/onboard/complete", new { username = "leaving" })).Body;
        var userId = me.GetProperty("_id").GetString()!;
        client.MfaTicket = await TicketAsync(client, new { password = Password });
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/account/delete", "/auth/account/delete")).Status);
        client.MfaTicket = null;
        var token = await TokenFromEmailAsync(email, "delete");
        await LogInAsync(WithEmail, email);

        var anonymous = new StoatSession(WithEmail.CreateClient());
        Assert.Equal("InvalidToken", (await anonymous.PutAsync("/auth/account/delete", "/auth/account/delete", new { token = "wrong" })).ErrorType);
        Assert.Equal(HttpStatusCode.NoContent, (await anonymous.PutAsync("/auth/account/delete", "/auth/account/delete", new { token })).Status);
        Assert.Equal("InvalidSession", (await client.GetAsync("/users/@me", "/users/@me")).ErrorType);
        Assert.Equal("Disabled", (await anonymous.PostAsync("/auth/session/login", "/auth/session/login", Credentials(email))).Body.GetProperty("result").GetString());

        // Not yet due: nothing happens. A week later the job deletes it.
        Assert.Equal(0, await DeleteDueAsync(TimeSpan.FromDays(6), userId));
        Assert.Equal(1, await DeleteDueAsync(TimeSpan.FromDays(8), userId));
        var deleted = await WithEmail.Services.GetRequiredService<IUserStore>().GetAsync(userId);
        Assert.Equal(("Deleted User", AccountClosureService.DeletedFlag), (deleted!.Username, deleted.Flags & AccountClosureService.DeletedFlag));
        Assert.Equal("InvalidCredentials", (await anonymous.PostAsync("/auth/session/login", "/auth/session/login", Credentials(email))).ErrorType);

        // The address is free again.
        Assert.Equal(HttpStatusCode.NoContent, (await anonymous.PostAsync("/auth/account/create", "/auth/account/create", new { email, password = Password })).Status);
        await TokenFromEmailAsync(email, "login/verify");
    }

    /// <summary>Runs the deletion job as Crond's command would, <paramref name="later"/> from now; counts whether <paramref name="userId"/> went.</summary>
    private async Task<int> DeleteDueAsync(TimeSpan later, string userId)
    {
        using var scope = WithEmail.Services.CreateScope();
        var closure = ActivatorUtilities.CreateInstance<AccountClosureService>(scope.ServiceProvider, new LaterClock(later));
        await closure.DeleteDueAsync(CancellationToken.None);
        var account = await scope.ServiceProvider.GetRequiredService<IAccountStore>().GetAsync(userId);
        return account!.Deletion!.Status == DeletionStatus.Deleted ? 1 : 0;
    }

    private sealed class LaterClock(TimeSpan later) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + later;
    }

    [Fact]
    public async Task Invite_only_sign_up_needs_an_unused_invite_and_uses_it_up()
    {
        await using var inviteOnly = api.Factory.WithWebHostBuilder(web => web.UseSetting("Api:InviteOnly", "true"));
        var code = Community.InviteService.NewCode();
        await inviteOnly.Services.GetRequiredService<ISignupInviteStore>().CreateAsync(new SignupInvite(code));
        var client = new StoatSession(inviteOnly.CreateClient());
        Assert.True((await client.GetAsync("/", "/")).Body.GetProperty("features").GetProperty("invite_only").GetBoolean());

        var (first, second) = (NewEmail(), NewEmail());
        Assert.Equal("MissingInvite", (await client.PostAsync("/auth/account/create", "/auth/account/create", new { email = first, password = Password })).ErrorType);
        Assert.Equal("InvalidInvite", (await client.PostAsync("/auth/account/create", "/auth/account/create", new { email = first, password = Password, invite = "nope" })).ErrorType);
        Assert.Equal("InvalidCredentials", (await client.PostAsync("/auth/session/login", "/auth/session/login", Credentials(first))).ErrorType);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/account/create", "/auth/account/create", new { email = first, password = Password, invite = code })).Status);
        Assert.Equal("InvalidInvite", (await client.PostAsync("/auth/account/create", "/auth/account/create", new { email = second, password = Password, invite = code })).ErrorType);
        await LogInAsync(inviteOnly, first);
        Assert.Equal("InvalidCredentials", (await client.PostAsync("/auth/session/login", "/auth/session/login", Credentials(second))).ErrorType);
    }

    [Fact]
    public async Task Captcha_answers_are_checked_with_the_verifier_on_sign_up_resend_and_reset()
    {
        var verifier = new FakeCaptchaVerifier();
        await using var guarded = WithEmail.WithWebHostBuilder(web => web
            .UseSetting("Api:CaptchaKey", "site-key")
            .UseSetting("Api:CaptchaSecret", "captcha-secret")
            .ConfigureServices(services => services.AddHttpClient(CaptchaVerifier.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => verifier)));
        var client = new StoatSession(guarded.CreateClient());
        var email = NewEmail();

        foreach (var (path, body) in new (string, object)[]
                 {
                     ("/auth/account/create", new { email, password = Password }),
                     ("/auth/account/create", new { email, password = Password, captcha = "robot" }),
                     ("/auth/account/reverify", new { email, captcha = "robot" }),
                     ("/auth/account/reset_password", new { email }),
                 })
        {
            Assert.Equal("CaptchaFailed", (await client.PostAsync(path, path, body)).ErrorType);
        }
        Assert.Equal("InvalidCredentials", (await client.PostAsync("/auth/session/login", "/auth/session/login", Credentials(email))).ErrorType);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/account/create", "/auth/account/create", new { email, password = Password, captcha = "human" })).Status);
        await TokenFromEmailAsync(email, "login/verify");
        Assert.Contains(verifier.Forms, form => form["secret"] == "captcha-secret" && form["response"] == "human" && form["sitekey"] == "site-key");
    }

    /// <summary>hCaptcha's siteverify, which cannot be reached from here: "human" passes, anything else fails.</summary>
    private sealed class FakeCaptchaVerifier : HttpMessageHandler
    {
        public List<Dictionary<string, string>> Forms { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Assert.Equal("https://api.hcaptcha.com/siteverify", request.RequestUri!.ToString());
            var form = System.Web.HttpUtility.ParseQueryString(await request.Content!.ReadAsStringAsync(cancellationToken));
            var fields = form.AllKeys.ToDictionary(k => k!, k => form[k]!);
            lock (Forms) Forms.Add(fields);
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent($$"""{"success": {{(fields["response"] == "human" ? "true" : "false")}}}""", System.Text.Encoding.UTF8, "application/json"),
            };
        }
    }
}
