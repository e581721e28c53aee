using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Spokes.TestSupport;

namespace Spokes.Api.Tests;

/// <summary>Account e-mail as the tests read it: the settings that send it to a test's SMTP sink, and the links in it.</summary>
public static partial class MailedLinks
{
    public const string From = "noreply@chat.example.com";

    /// <summary>The Api sends its account e-mail to <paramref name="smtp"/>, in plain text, from <see cref="From"/>.</summary>
    public static IWebHostBuilder SendingMailTo(this IWebHostBuilder web, SmtpSink smtp) => web
        .UseSetting("Api:SmtpHost", "127.0.0.1")
        .UseSetting("Api:SmtpPort", smtp.Port.ToString(CultureInfo.InvariantCulture))
        .UseSetting("Api:SmtpUseTls", "false")
        .UseSetting("Api:SmtpFrom", $"Spokes <{From}>");

    /// <summary>The route (<c>login/verify</c>, <c>login/reset</c> or <c>delete</c>) and token of the link in an e-mail's text.</summary>
    public static (string Route, string Token) In(string? text)
    {
        var link = Link().Match(text ?? "");
        Assert.True(link.Success, $"no link in: {text}");
        return (link.Groups[1].Value, link.Groups[2].Value);
    }

    [GeneratedRegex(@"https://chat\.example\.com/(login/verify|login/reset|delete)/([\w-]+)")]
    private static partial Regex Link();
}

/// <summary>The fixture's Api sending its account e-mail to an SMTP sink of its own.</summary>
public sealed class MailingApi : IAsyncDisposable
{
    private MailingApi(SmtpSink smtp, WebApplicationFactory<Program> factory) => (Smtp, Factory) = (smtp, factory);

    public SmtpSink Smtp { get; }

    public WebApplicationFactory<Program> Factory { get; }

    public static async Task<MailingApi> StartAsync(WebApplicationFactory<Program> api)
    {
        var smtp = await SmtpSink.StartAsync();
        return new MailingApi(smtp, api.WithWebHostBuilder(web => web.SendingMailTo(smtp)));
    }

    public async ValueTask DisposeAsync()
    {
        await Factory.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}
