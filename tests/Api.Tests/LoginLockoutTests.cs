using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Spokes.TestSupport;

namespace Spokes.Api.Tests;

/// <summary>
/// Password guessing through login: authifier's lockout (a minute after the third wrong password, five after the
/// fourth, an hour after each one beyond), counted in Redis, and what keeps an attacker from locking the owner out.
/// Clients come from addresses of their own through <c>X-Forwarded-For</c>, as behind the Gateway.
/// </summary>
[Collection(nameof(ApiCollection))]
public sealed class LoginLockoutTests(ApiFixture api) : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";
    private const string Wrong = "not the password at all";
    private readonly ShiftedClock _clock = new();
    private WebApplicationFactory<Program> _forwarded = null!;
    private SmtpSink _smtp = null!;

    public async Task InitializeAsync()
    {
        _smtp = await SmtpSink.StartAsync();
        _forwarded = api.Factory.WithWebHostBuilder(web => web
            .UseSetting("FORWARDEDHEADERS_ENABLED", "true")
            .ConfigureServices(services => services.AddSingleton<TimeProvider>(_clock)));
    }

    public async Task DisposeAsync()
    {
        await _forwarded.DisposeAsync();
        await _smtp.DisposeAsync();
    }

    private static string NewEmail() => $"user-{Guid.NewGuid():N}@example.com";

    private static string NewAddress() => $"10.{Random.Shared.Next(256)}.{Random.Shared.Next(256)}.{Random.Shared.Next(1, 255)}";

    private StoatSession From(string address)
    {
        var http = _forwarded.CreateClient();
        http.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        return new StoatSession(http);
    }

    private static Task<StoatSession.Reply> LogInAsync(StoatSession client, string email, string password) =>
        client.PostAsync("/auth/session/login", "/auth/session/login", new { email, password, friendly_name = "Tests" });

    private async Task<string> SignUpAsync(StoatSession client)
    {
        var email = NewEmail();
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/account/create", "/auth/account/create", new { email, password = Password })).Status);
        return email;
    }

    private static async Task FailAsync(StoatSession client, string email, int times)
    {
        for (var i = 0; i < times; i++)
        {
            var wrong = await LogInAsync(client, email, Wrong);
            Assert.Equal((HttpStatusCode.Unauthorized, "InvalidCredentials"), (wrong.Status, wrong.ErrorType));
        }
    }

    private static async Task AssertLockedAsync(StoatSession client, string email)
    {
        var locked = await LogInAsync(client, email, Password);
        Assert.Equal((HttpStatusCode.Forbidden, "LockedOut"), (locked.Status, locked.ErrorType));
    }

    private static async Task AssertLogsInAsync(StoatSession client, string email) =>
        Assert.Equal("Success", (await LogInAsync(client, email, Password)).Body.GetProperty("result").GetString());

    [Fact]
    public async Task After_three_wrong_passwords_even_the_right_one_is_refused_from_any_new_address()
    {
        var attacker = From(NewAddress());
        var email = await SignUpAsync(attacker);
        await FailAsync(attacker, email, 3);
        await AssertLockedAsync(attacker, email);
        await AssertLockedAsync(From(NewAddress()), email);
    }

    [Fact]
    public async Task The_lock_grows_from_a_minute_to_five_to_an_hour_and_then_lets_the_right_password_in()
    {
        var attacker = From(NewAddress());
        var email = await SignUpAsync(attacker);
        await FailAsync(attacker, email, 3);
        _clock.Shift(TimeSpan.FromSeconds(50));
        await AssertLockedAsync(attacker, email);

        _clock.Shift(TimeSpan.FromSeconds(11));
        await FailAsync(attacker, email, 1);
        _clock.Shift(TimeSpan.FromMinutes(4));
        await AssertLockedAsync(attacker, email);

        _clock.Shift(TimeSpan.FromMinutes(1.1));
        await FailAsync(attacker, email, 1);
        _clock.Shift(TimeSpan.FromMinutes(59));
        await AssertLockedAsync(attacker, email);

        _clock.Shift(TimeSpan.FromMinutes(1.1));
        await AssertLogsInAsync(attacker, email);
    }

    [Fact]
    public async Task An_address_nobody_has_locks_exactly_as_a_registered_one_so_the_lock_reveals_nothing()
    {
        var client = From(NewAddress());
        var nobody = NewEmail();
        await FailAsync(client, nobody, 3);
        await AssertLockedAsync(client, nobody);
    }

    [Fact]
    public async Task An_attacker_cannot_lock_the_owner_out_of_an_address_the_owner_logged_in_from()
    {
        var owner = From(NewAddress());
        var email = await SignUpAsync(owner);
        await AssertLogsInAsync(owner, email);

        // However long the attack goes on, the attacker's guesses are refused unchecked and the owner's address is not.
        var attacker = From(NewAddress());
        await FailAsync(attacker, email, 3);
        for (var hour = 0; hour < 3; hour++)
        {
            await AssertLockedAsync(attacker, email);
            await AssertLockedAsync(From(NewAddress()), email);
            await AssertLogsInAsync(owner, email);
            _clock.Shift(TimeSpan.FromMinutes(61));
            await FailAsync(attacker, email, 1);
        }

        // The owner's own address locks only on its own failures.
        await FailAsync(owner, email, 3);
        await AssertLockedAsync(owner, email);
    }

    [Fact]
    public async Task Guesses_sent_all_at_once_are_checked_no_more_than_three_times()
    {
        var attacker = From(NewAddress());
        var email = await SignUpAsync(attacker);
        var replies = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => LogInAsync(attacker, email, Wrong)));
        Assert.Equal(3, replies.Count(r => r.ErrorType == "InvalidCredentials"));
        Assert.Equal(9, replies.Count(r => r.ErrorType == "LockedOut"));
        await AssertLockedAsync(attacker, email);
    }

    [Fact]
    public async Task The_current_password_asked_to_change_the_password_or_address_locks_the_same_way()
    {
        var client = From(NewAddress());
        var email = await SignUpAsync(client);
        client.Token = (await LogInAsync(client, email, Password)).Body.GetProperty("token").GetString();
        const string change = "/auth/account/change/password";
        for (var i = 0; i < 3; i++)
            Assert.Equal("InvalidCredentials", (await client.PatchAsync(change, change, new { password = "a brand new password", current_password = Wrong })).ErrorType);
        var locked = await client.PatchAsync(change, change, new { password = "a brand new password", current_password = Password });
        Assert.Equal((HttpStatusCode.Forbidden, "LockedOut"), (locked.Status, locked.ErrorType));
        Assert.Equal("LockedOut", (await client.PatchAsync("/auth/account/change/email", "/auth/account/change/email",
            new { email = NewEmail(), current_password = Password })).ErrorType);
    }

    [Fact]
    public async Task Opening_an_emailed_reset_link_lets_the_owner_in_from_a_new_address_while_the_guessing_goes_on()
    {
        await using var withEmail = _forwarded.WithWebHostBuilder(web => web.SendingMailTo(_smtp));
        StoatSession At(string address)
        {
            var http = withEmail.CreateClient();
            http.DefaultRequestHeaders.Add("X-Forwarded-For", address);
            return new StoatSession(http);
        }
        async Task<string> TokenAsync(string to) => MailedLinks.In((await _smtp.NextAsync(to)).Text).Token;

        var (attacker, owner) = (At(NewAddress()), At(NewAddress()));
        var email = NewEmail();
        await owner.PostAsync("/auth/account/create", "/auth/account/create", new { email, password = Password });
        await owner.PostAsync($"/auth/account/verify/{await TokenAsync(email)}", "/auth/account/verify/{code}");
        await FailAsync(attacker, email, 3);
        await AssertLockedAsync(owner, email);

        await owner.PostAsync("/auth/account/reset_password", "/auth/account/reset_password", new { email });
        Assert.Equal(HttpStatusCode.NoContent, (await owner.PatchAsync("/auth/account/reset_password", "/auth/account/reset_password",
            new { token = await TokenAsync(email), password = Password })).Status);
        // The attacker's address stays locked, and guessing from another locks the account again, but not for the owner's.
        await AssertLockedAsync(attacker, email);
        await FailAsync(At(NewAddress()), email, 3);
        await AssertLockedAsync(At(NewAddress()), email);
        await AssertLogsInAsync(owner, email);
    }

    [Fact]
    public async Task Without_redis_login_is_refused_rather_than_left_unlimited()
    {
        var redis = new RedisServer();
        await redis.InitializeAsync();
        try
        {
            await using var factory = api.Factory.WithWebHostBuilder(web => web.UseSetting("ConnectionStrings:redis", redis.ConnectionString));
            var client = new StoatSession(factory.CreateClient());
            var email = NewEmail();
            await client.PostAsync("/auth/account/create", "/auth/account/create", new { email, password = Password });
            await AssertLogsInAsync(client, email);

            await redis.StopAsync();
            foreach (var password in new[] { Password, Wrong })
            {
                var refused = await LogInAsync(client, email, password);
                Assert.Equal((HttpStatusCode.InternalServerError, "InternalError"), (refused.Status, refused.ErrorType));
            }
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }
}

/// <summary>The system clock, moved forward by the test.</summary>
public sealed class ShiftedClock : TimeProvider
{
    private TimeSpan _offset;

    public void Shift(TimeSpan by) => _offset += by;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + _offset;
}
