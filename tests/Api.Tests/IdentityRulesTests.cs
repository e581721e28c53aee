using Spokes.Api.Errors;
using Spokes.Api.Identity;

namespace Spokes.Api.Tests;

public class IdentityRulesTests
{
    [Fact]
    public void Ids_are_ulids_that_sort_in_creation_order_even_within_a_millisecond()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => SecureTokens.NewId()).ToList();
        Assert.All(ids, id => Assert.Matches("^[0-9A-HJKMNP-TV-Z]{26}$", id));
        Assert.Equal(ids, ids.Order(StringComparer.Ordinal));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void Tokens_are_64_url_safe_characters()
    {
        var token = SecureTokens.NewToken();
        Assert.Matches("^[A-Za-z0-9_-]{64}$", token);
        Assert.NotEqual(token, SecureTokens.NewToken());
    }

    [Fact]
    public async Task Passwords_are_stored_as_argon2id_phc_strings_and_verified()
    {
        var hasher = new PasswordHasher();
        var hash = await hasher.HashAsync("correct horse battery staple");
        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", hash);
        Assert.True(await hasher.VerifyAsync("correct horse battery staple", hash));
        Assert.False(await hasher.VerifyAsync("Correct horse battery staple", hash));
        Assert.False(await hasher.VerifyAsync("anything", null));
        Assert.False(await hasher.VerifyAsync("anything", "$2b$12$notargon"));
        Assert.NotEqual(hash, await hasher.HashAsync("correct horse battery staple"));
    }

    [Theory]
    [InlineData("alice@example.com", "alice@example.com")]
    [InlineData("  Alice@Example.COM ", "alice@example.com")]
    public void Emails_are_trimmed_and_compared_in_lower_case(string given, string normalised) =>
        Assert.Equal(normalised, AccountRules.ValidateEmail(given).Normalised);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("alice")]
    [InlineData("alice@")]
    [InlineData("alice@example")]
    [InlineData("al ice@example.com")]
    public void Malformed_emails_are_refused(string? email) =>
        Assert.Equal("IncorrectData", Assert.Throws<StoatException>(() => AccountRules.ValidateEmail(email)).Type);

    [Fact]
    public void Passwords_need_eight_characters_and_have_a_ceiling()
    {
        Assert.Equal("ShortPassword", Assert.Throws<StoatException>(() => AccountRules.ValidatePassword("1234567")).Type);
        AccountRules.ValidatePassword("8 chars!");
        foreach (var guessable in new[] { "12345678", "Password123", "aaaaaaaaaa", "abababab", "hgfedcba" })
            Assert.Equal("CompromisedPassword", Assert.Throws<StoatException>(() => AccountRules.ValidatePassword(guessable)).Type);
        Assert.Equal("FailedValidation", Assert.Throws<StoatException>(() => AccountRules.ValidatePassword(new string('x', 1025))).Type);
    }

    [Theory]
    [InlineData("al")]
    [InlineData("Zoë.the_great-2")]
    [InlineData("アリス")]
    public void Usernames_of_letters_digits_and_dot_dash_underscore_are_accepted(string username) =>
        Assert.Equal(username, AccountRules.ValidateUsername(username));

    [Theory]
    [InlineData("a")]
    [InlineData("this-name-is-far-too-long-for-stoat-x")]
    [InlineData("spaces are not allowed")]
    [InlineData("at@sign")]
    [InlineData("Admin")]
    [InlineData("everyone")]
    public void Other_usernames_are_refused(string username) =>
        Assert.Equal("InvalidUsername", Assert.Throws<StoatException>(() => AccountRules.ValidateUsername(username)).Type);

    [Fact]
    public void A_discriminator_is_a_free_four_digit_number_until_none_is_left()
    {
        var taken = Enumerable.Range(1, 9998).Select(i => i.ToString("D4")).ToHashSet();
        Assert.Equal("9999", AccountRules.PickDiscriminator(taken));
        taken.Add("9999");
        Assert.Null(AccountRules.PickDiscriminator(taken));
    }

    [Fact]
    public void A_rename_keeps_the_discriminator_when_it_is_free_or_only_the_case_changes()
    {
        Assert.Equal("0042", AccountRules.DiscriminatorForRename("0042", new HashSet<string> { "0001" }, onlyCaseChanges: false));
        Assert.Equal("0042", AccountRules.DiscriminatorForRename("0042", new HashSet<string> { "0042" }, onlyCaseChanges: true));
        var moved = AccountRules.DiscriminatorForRename("0042", new HashSet<string> { "0042", "0001" }, onlyCaseChanges: false);
        Assert.Matches("^[0-9]{4}$", moved);
        Assert.NotEqual("0042", moved);
        Assert.NotEqual("0001", moved);
        var full = Enumerable.Range(1, 9999).Select(i => i.ToString("D4")).ToHashSet();
        Assert.Null(AccountRules.DiscriminatorForRename("0042", full, onlyCaseChanges: false));
    }
}
