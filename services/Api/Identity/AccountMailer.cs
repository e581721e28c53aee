using System.Net;
using System.Net.Mail;
using Microsoft.Extensions.Options;
using Spokes.Api.Configuration;
using Spokes.Api.Errors;

namespace Spokes.Api.Identity;

/// <summary>
/// The account emails authifier sends (verify, password reset, account deletion), over the configured SMTP
/// server. Links point at the web app's routes for each, under <see cref="ApiOptions.PublicUrl"/>.
/// </summary>
public sealed class AccountMailer(IOptionsMonitor<ApiOptions> options, ILogger<AccountMailer> logger)
{
    /// <summary>Whether an SMTP server is configured; without one, addresses are trusted as given.</summary>
    public bool Enabled => !string.IsNullOrEmpty(options.CurrentValue.SmtpHost);

    public Task SendVerificationAsync(string to, string token, CancellationToken cancellationToken) => SendAsync(to,
        "Verify your Spokes account",
        $"Confirm this email address for your Spokes account by opening this link:\n\n{Link("login/verify", token)}\n\n" +
        "If you did not sign up or change your address, ignore this email.", cancellationToken);

    public Task SendPasswordResetAsync(string to, string token, CancellationToken cancellationToken) => SendAsync(to,
        "Reset your Spokes password",
        $"Someone asked to reset the password of your Spokes account. Choose a new password here:\n\n{Link("login/reset", token)}\n\n" +
        "The link works for one hour. If it was not you, ignore this email: your password stays as it is.", cancellationToken);

    /// <summary>Someone signed up with the address of an existing account: authifier's <c>reset_existing</c>.</summary>
    public Task SendExistingAccountAsync(string to, string token, CancellationToken cancellationToken) => SendAsync(to,
        "You already have a Spokes account",
        $"Someone tried to sign up to Spokes with this address, which already has an account. If you forgot its password, choose a new one here:\n\n" +
        $"{Link("login/reset", token)}\n\nThe link works for one hour. If it was not you, ignore this email: your password stays as it is.", cancellationToken);

    public Task SendDeletionAsync(string to, string token, CancellationToken cancellationToken) => SendAsync(to,
        "Confirm deleting your Spokes account",
        $"Open this link to confirm that your Spokes account should be deleted:\n\n{Link("delete", token)}\n\n" +
        "The account is disabled at once and deleted for good a week later. If it was not you, ignore this email.", cancellationToken);

    private string Link(string route, string token) => $"{options.CurrentValue.PublicUrl.TrimEnd('/')}/{route}/{token}";

    private async Task SendAsync(string to, string subject, string body, CancellationToken cancellationToken)
    {
        var current = options.CurrentValue;
        using var client = new SmtpClient(current.SmtpHost, current.SmtpPort) { EnableSsl = current.SmtpUseTls };
        if (!string.IsNullOrEmpty(current.SmtpUsername)) client.Credentials = new NetworkCredential(current.SmtpUsername, current.SmtpPassword);
        using var message = new MailMessage(current.SmtpFrom, to, subject, body);
        try
        {
            await client.SendMailAsync(message, cancellationToken);
        }
        catch (Exception e) when (e is SmtpException or IOException or InvalidOperationException)
        {
            logger.LogWarning(e, "Could not send the email \"{Subject}\" through {Host}:{Port}", subject, current.SmtpHost, current.SmtpPort);
            throw StoatException.EmailFailed();
        }
    }
}
