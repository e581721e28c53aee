using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Spokes.Api.Errors;
using Spokes.Api.Identity;
using Spokes.Api.Storage;
using Spokes.TestSupport;

namespace Spokes.Api.Tests;

public class EmailNormalisationRulesTests
{
    [Theory]
    [InlineData("Alice@Example.COM", "alice@example.com")]
    [InlineData("alice+spokes@example.com", "alice@example.com")]
    [InlineData("alice+a+b@example.com", "alice@example.com")]
    [InlineData("alice.smith@example.com", "alice.smith@example.com")]
    [InlineData("Alice.Smith+news@Gmail.com", "alicesmith@gmail.com")]
    [InlineData("a.l.i.c.e@googlemail.com", "alice@gmail.com")]
    public void Tags_case_and_the_dots_gmail_ignores_do_not_make_another_address(string given, string normalised) =>
        Assert.Equal(normalised, AccountRules.ValidateEmail(given).Normalised);

    [Theory]
    [InlineData("alice\u202E@example.com")]
    [InlineData("alice\u200F@example.com")]
    [InlineData("alice\u2066@example.com")]
    [InlineData("al\u0000ice@example.com")]
    [InlineData("alice\u0007@example.com")]
    [InlineData("alice@exa\u200Bmple.com")]
    [InlineData("alice@example.com\u061C")]
    [InlineData("alice\t@example.com")]
    public void Control_bidi_and_invisible_characters_are_refused(string email)
    {
        var refused = Assert.Throws<StoatException>(() => AccountRules.ValidateEmail(email));
        Assert.Equal(("IncorrectData", "email"), (refused.Type, refused.Fields["with"]));
    }
}

[Collection(nameof(ApiCollection))]
public sealed class EmailNormalisationTests(ApiFixture api)
{
    private const string Password = "correct horse battery staple";
    private const string Other = "somebody else's password";

    private static Task<StoatSession.Reply> LogInAsync(StoatSession client, string email, string password) =>
        client.PostAsync("/auth/session/login", "/auth/session/login", new { email, password });

    private static async Task AssertLogsInAsync(StoatSession client, string email, string password) =>
        Assert.Equal("Success", (await LogInAsync(client, email, password)).Body.GetProperty("result").GetString());

    [Fact]
    public async Task Tag_and_dot_variants_of_one_gmail_address_make_one_account()
    {
        var client = new StoatSession(api.Factory.CreateClient());
        var name = $"first.last.{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/account/create", "/auth/account/create",
            new { email = $"{name}+one@gmail.com", password = Password })).Status);
        var variant = $"{name.Replace(".", "").ToUpperInvariant()}+two@googlemail.com";
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/account/create", "/auth/account/create",
            new { email = variant, password = Other })).Status);

        Assert.Equal("InvalidCredentials", (await LogInAsync(client, variant, Other)).ErrorType);
        await AssertLogsInAsync(client, variant, Password);
        await AssertLogsInAsync(client, $"{name}@gmail.com", Password);
    }

    [Fact]
    public async Task Accounts_stored_before_the_rule_still_log_in_and_their_variants_cannot_sign_up()
    {
        using var data = new TemporaryFolder("spokes-email-keys");
        var database = $"Data Source={Path.Combine(data.Path, "spokes.db")}";
        var id = Guid.NewGuid().ToString("N");
        var (tagged, first, second) = ($"Old.User.{id}+tag@Gmail.com", $"dup.{id}+1@example.com", $"dup.{id}+2@example.com");
        await using (var before = api.Factory.WithWebHostBuilder(web => web.UseSetting("ConnectionStrings:mongo", database)))
        {
            // As the Api wrote them until now: keyed by the trimmed, lower-cased address.
            var accounts = before.Services.GetRequiredService<IAccountStore>();
            foreach (var (email, password) in new[] { (tagged, Password), (first, Password), (second, Other) })
            {
                await accounts.CreateAsync(new Account(SecureTokens.NewId(), email, email.ToLowerInvariant(), await new PasswordHasher().HashAsync(password), false,
                    DateTimeOffset.UtcNow, EmailVerification.Done, MultiFactor.None));
            }
        }

        await using var after = api.Factory.WithWebHostBuilder(web => web.UseSetting("ConnectionStrings:mongo", database));
        var client = new StoatSession(after.CreateClient());
        await AssertLogsInAsync(client, tagged, Password);
        await AssertLogsInAsync(client, $"olduser{id}@gmail.com", Password);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/account/create", "/auth/account/create",
            new { email = $"old.user.{id}@gmail.com", password = Other })).Status);
        Assert.Equal("InvalidCredentials", (await LogInAsync(client, $"old.user.{id}@gmail.com", Other)).ErrorType);

        // Two accounts that are now one address both keep working, each with its own address.
        await AssertLogsInAsync(client, first, Password);
        await AssertLogsInAsync(client, second, Other);
    }
}
