using System.Net;
using Spokes.Api.Identity;

namespace Spokes.Api.Tests;

/// <summary>
/// Guessing a second factor: a login ticket takes a few wrong codes and is then burned, wrong codes over many
/// tickets lock the account's second factor, and a code that was just used does not work again.
/// </summary>
[Collection(nameof(ApiCollection))]
public sealed class SecondFactorGuessingTests(ApiFixture api)
{
    private const string Password = "correct horse battery staple";

    private StoatSession Client() => new(api.Factory.CreateClient());

    /// <summary>A logged-in account with TOTP turned on; returns its client, address and TOTP secret.</summary>
    private async Task<(StoatSession Client, string Email, string Secret)> WithTotpAsync()
    {
        var email = $"user-{Guid.NewGuid():N}@example.com";
        var client = Client();
        await client.PostAsync("/auth/account/create", "/auth/account/create", new { email, password = Password });
        client.Token = (await LogInAsync(client, email)).Body.GetProperty("token").GetString();
        client.MfaTicket = (await client.PutAsync("/auth/mfa/ticket", "/auth/mfa/ticket", new { password = Password })).Body.GetProperty("token").GetString();
        var secret = (await client.PostAsync("/auth/mfa/totp", "/auth/mfa/totp")).Body.GetProperty("secret").GetString()!;
        client.MfaTicket = null;
        Assert.Equal(HttpStatusCode.NoContent, (await client.PutAsync("/auth/mfa/totp", "/auth/mfa/totp", new { totp_code = Totp.Code(secret, DateTimeOffset.UtcNow) })).Status);
        return (client, email, secret);
    }

    private static Task<StoatSession.Reply> LogInAsync(StoatSession client, string email) =>
        client.PostAsync("/auth/session/login", "/auth/session/login", new { email, password = Password, friendly_name = "Tests" });

    /// <summary>The ticket a password login hands out when a second factor is owed.</summary>
    private async Task<string> OwedTicketAsync(string email)
    {
        var owed = (await LogInAsync(Client(), email)).Body;
        Assert.Equal("MFA", owed.GetProperty("result").GetString());
        return owed.GetProperty("ticket").GetString()!;
    }

    private Task<StoatSession.Reply> AnswerAsync(string ticket, string code) => Client().PostAsync("/auth/session/login", "/auth/session/login",
        new { mfa_ticket = ticket, mfa_response = new { totp_code = code }, friendly_name = "Tests" });

    /// <summary>A six-digit code that is none of the codes accepted around now.</summary>
    private static string WrongCode(string secret)
    {
        var now = DateTimeOffset.UtcNow;
        var accepted = new[] { -60, -30, 0, 30, 60 }.Select(s => Totp.Code(secret, now.AddSeconds(s))).ToHashSet();
        return Enumerable.Range(0, 10).Select(d => new string((char)('0' + d), 6)).First(c => !accepted.Contains(c));
    }

    [Fact]
    public async Task A_login_ticket_is_burned_after_three_wrong_codes_so_the_right_one_no_longer_works()
    {
        var (_, email, secret) = await WithTotpAsync();
        var ticket = await OwedTicketAsync(email);
        for (var i = 0; i < 3; i++)
        {
            var wrong = await AnswerAsync(ticket, WrongCode(secret));
            Assert.Equal((HttpStatusCode.Unauthorized, "InvalidToken"), (wrong.Status, wrong.ErrorType));
        }
        var burned = await AnswerAsync(ticket, Totp.Code(secret, DateTimeOffset.UtcNow));
        Assert.Equal((HttpStatusCode.Unauthorized, "InvalidToken"), (burned.Status, burned.ErrorType));
    }

    [Fact]
    public async Task Wrong_codes_across_fresh_tickets_lock_the_accounts_second_factor()
    {
        var (client, email, secret) = await WithTotpAsync();
        var first = await OwedTicketAsync(email);
        Assert.Equal("InvalidToken", (await AnswerAsync(first, WrongCode(secret))).ErrorType);
        Assert.Equal("InvalidToken", (await AnswerAsync(first, WrongCode(secret))).ErrorType);
        var second = await OwedTicketAsync(email);
        Assert.Equal("InvalidToken", (await AnswerAsync(second, WrongCode(secret))).ErrorType);

        var locked = await AnswerAsync(second, Totp.Code(secret, DateTimeOffset.UtcNow));
        Assert.Equal((HttpStatusCode.Forbidden, "LockedOut"), (locked.Status, locked.ErrorType));
        // A session's own challenge for sensitive actions is the same second factor, so it is locked too.
        locked = await client.PutAsync("/auth/mfa/ticket", "/auth/mfa/ticket", new { totp_code = Totp.Code(secret, DateTimeOffset.UtcNow) });
        Assert.Equal((HttpStatusCode.Forbidden, "LockedOut"), (locked.Status, locked.ErrorType));
    }

    [Fact]
    public async Task A_code_that_was_just_used_is_refused_a_second_time_and_the_next_one_works()
    {
        var (client, email, secret) = await WithTotpAsync();
        var code = Totp.Code(secret, DateTimeOffset.UtcNow);
        Assert.Equal("Success", (await AnswerAsync(await OwedTicketAsync(email), code)).Body.GetProperty("result").GetString());

        var replayed = await AnswerAsync(await OwedTicketAsync(email), code);
        Assert.Equal((HttpStatusCode.Unauthorized, "InvalidToken"), (replayed.Status, replayed.ErrorType));
        replayed = await client.PutAsync("/auth/mfa/ticket", "/auth/mfa/ticket", new { totp_code = code });
        Assert.Equal((HttpStatusCode.Unauthorized, "InvalidToken"), (replayed.Status, replayed.ErrorType));

        var next = Totp.Code(secret, DateTimeOffset.UtcNow.AddSeconds(30));
        Assert.True((await client.PutAsync("/auth/mfa/ticket", "/auth/mfa/ticket", new { totp_code = next })).Body.GetProperty("validated").GetBoolean());
    }
}
