using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Spokes.Api.Identity;
using Spokes.TestSupport;

namespace Spokes.Api.Tests;

/// <summary>
/// Sign-up and change of address must not tell anyone whether an address has an account: not by the answer,
/// and not by the time the answer takes.
/// </summary>
[Collection(nameof(ApiCollection))]
public sealed class AddressEnumerationTests(ApiFixture api) : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";
    private MailingApi _mailing = null!;

    private SmtpSink Smtp => _mailing.Smtp;

    private WebApplicationFactory<Program> WithEmail => _mailing.Factory;

    public async Task InitializeAsync() => _mailing = await MailingApi.StartAsync(api.Factory);

    public async Task DisposeAsync() => await _mailing.DisposeAsync();

    private static string NewEmail() => $"user-{Guid.NewGuid():N}@example.com";

    private async Task<(string Route, string Token)> LinkFromEmailAsync(string to) => MailedLinks.In((await Smtp.NextAsync(to)).Text);

    private static async Task<TimeSpan> TimeSignUpAsync(StoatSession client, string email)
    {
        var clock = Stopwatch.StartNew();
        var reply = await client.PostAsync("/auth/account/create", "/auth/account/create", new { email, password = Password });
        Assert.Equal(HttpStatusCode.NoContent, reply.Status);
        return clock.Elapsed;
    }

    private static TimeSpan Median(List<TimeSpan> times) => times.Order().ElementAt(times.Count / 2);

    [Fact]
    public async Task Signing_up_hashes_the_password_whether_or_not_the_address_is_taken()
    {
        var hasher = new CountingHasher();
        await using var counted = api.Factory.WithWebHostBuilder(web => web.ConfigureServices(services => services.AddSingleton<IPasswordHasher>(hasher)));
        var client = new StoatSession(counted.CreateClient());
        var email = NewEmail();
        foreach (var expected in new[] { 1, 2 })
        {
            Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/account/create", "/auth/account/create", new { email, password = Password })).Status);
            Assert.Equal(expected, hasher.Hashes);
        }
    }

    /// <summary>The real hasher, counting what it hashes.</summary>
    private sealed class CountingHasher : IPasswordHasher
    {
        private readonly PasswordHasher _hasher = new();
        private int _hashes;

        public int Hashes => _hashes;

        public Task<string> HashAsync(string password)
        {
            Interlocked.Increment(ref _hashes);
            return _hasher.HashAsync(password);
        }

        public Task<bool> VerifyAsync(string password, string? phc) => _hasher.VerifyAsync(password, phc);
    }

    /// <summary>
    /// Coarse on purpose, so it cannot flake: a taken address must cost at least half what a new one costs (hashing
    /// the password is most of both). Before the fix it cost a twentieth.
    /// </summary>
    [Fact]
    public async Task Signing_up_with_a_taken_address_takes_about_as_long_as_with_a_new_one()
    {
        var client = new StoatSession(api.Factory.CreateClient());
        var taken = NewEmail();
        await TimeSignUpAsync(client, taken);
        var (forNew, forTaken) = (new List<TimeSpan>(), new List<TimeSpan>());
        for (var i = 0; i < 9; i++)
        {
            forNew.Add(await TimeSignUpAsync(client, NewEmail()));
            forTaken.Add(await TimeSignUpAsync(client, taken));
        }
        Assert.True(Median(forTaken) * 2 >= Median(forNew), $"taken {Median(forTaken).TotalMilliseconds} ms, new {Median(forNew).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task With_smtp_signing_up_again_mails_the_owner_a_reset_link_instead_of_a_second_account()
    {
        var email = NewEmail();
        var client = new StoatSession(WithEmail.CreateClient());
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/account/create", "/auth/account/create", new { email, password = Password })).Status);
        var (route, token) = await LinkFromEmailAsync(email);
        Assert.Equal("login/verify", route);

        // Still pending: the verification link comes again.
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/account/create", "/auth/account/create", new { email, password = "another password here" })).Status);
        (route, var again) = await LinkFromEmailAsync(email);
        Assert.Equal("login/verify", route);
        Assert.NotEqual(token, again);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/auth/account/verify/{again}", "/auth/account/verify/{code}")).Status);

        // Verified: the owner is told they have an account and gets a reset link; the password stays theirs.
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/account/create", "/auth/account/create", new { email, password = "another password here" })).Status);
        (route, var reset) = await LinkFromEmailAsync(email);
        Assert.Equal("login/reset", route);
        Assert.Equal("InvalidCredentials", (await client.PostAsync("/auth/session/login", "/auth/session/login", new { email, password = "another password here" })).ErrorType);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PatchAsync("/auth/account/reset_password", "/auth/account/reset_password",
            new { token = reset, password = "a whole new password" })).Status);
        Assert.Equal("Success", (await client.PostAsync("/auth/session/login", "/auth/session/login", new { email, password = "a whole new password" }))
            .Body.GetProperty("result").GetString());
    }

    [Fact]
    public async Task With_smtp_a_change_to_a_taken_address_is_answered_like_any_other_and_fails_only_when_its_link_is_opened()
    {
        var client = new StoatSession(WithEmail.CreateClient());
        var (email, taken) = (NewEmail(), NewEmail());
        foreach (var address in new[] { email, taken })
        {
            await client.PostAsync("/auth/account/create", "/auth/account/create", new { email = address, password = Password });
            var (_, token) = await LinkFromEmailAsync(address);
            await client.PostAsync($"/auth/account/verify/{token}", "/auth/account/verify/{code}");
        }
        client.Token = (await client.PostAsync("/auth/session/login", "/auth/session/login", new { email, password = Password })).Body.GetProperty("token").GetString();

        const string change = "/auth/account/change/email";
        var free = NewEmail();
        Assert.Equal(HttpStatusCode.NoContent, (await client.PatchAsync(change, change, new { email = free, current_password = Password })).Status);
        await LinkFromEmailAsync(free);
        var toTaken = await client.PatchAsync(change, change, new { email = taken.ToUpperInvariant(), current_password = Password });
        Assert.Equal(HttpStatusCode.NoContent, toTaken.Status);

        // Only whoever reads the taken address's mail learns that it is taken.
        var (_, link) = await LinkFromEmailAsync(taken);
        var opened = await client.PostAsync($"/auth/account/verify/{link}", "/auth/account/verify/{code}");
        Assert.Equal(("IncorrectData", "email"), (opened.ErrorType, opened.Body.GetProperty("with").GetString()));
        Assert.Equal(email, (await client.GetAsync("/auth/account/", "/auth/account/")).Body.GetProperty("email").GetString());
    }
}
