using Spokes.Api.Community;
using Spokes.Api.Errors;
using Spokes.Api.Events;
using Spokes.Api.Identity;
using Spokes.Api.Models;
using Spokes.Api.Storage;
using Spokes.Permissions;

namespace Spokes.Api.Messaging;

/// <summary>Stoat's safety reports: a user reports a message, server or user to the instance's moderators.</summary>
public sealed class SafetyService(CommunityAccess access, IMessageStore messages, IChannelStore channels, IUserStore users, IReportStore reports,
    EventPublisher events, Files.IFileClaims files)
{
    private static readonly HashSet<string> ContentReasons =
    [
        "NoneSpecified", "Illegal", "IllegalGoods", "IllegalExtortion", "IllegalPornography", "IllegalHacking", "ExtremeViolence",
        "PromotesHarm", "UnsolicitedSpam", "Raid", "SpamAbuse", "ScamsFraud", "Malware", "Harassment",
    ];

    private static readonly HashSet<string> UserReasons =
        ["NoneSpecified", "UnsolicitedSpam", "SpamAbuse", "InappropriateProfile", "Impersonation", "BanEvasion", "Underage"];

    public async Task<Report> ReportAsync(User actor, ReportRequest request, CancellationToken cancellationToken)
    {
        var content = request.Content ?? throw StoatException.FailedValidation("content is required");
        var context = Validation.Length(request.AdditionalContext, "additional_context", 0, 1000) ?? "";
        var reasons = content.Type == "User" ? UserReasons : ContentReasons;
        if (!reasons.Contains(content.ReportReason)) throw StoatException.FailedValidation($"report_reason must be one of {string.Join(", ", reasons)}");
        if (content.Type != "User" && content.MessageId is not null) throw StoatException.FailedValidation("message_id goes with a user report only");
        Message? reported = null;
        switch (content.Type)
        {
            case "Message":
                reported = await VisibleMessageAsync(actor, content.Id, cancellationToken);
                if (reported.Author == actor.Id) throw StoatException.CannotReportYourself();
                break;
            case "Server":
                if ((await access.ServerAsync(content.Id, cancellationToken)).Owner == actor.Id) throw StoatException.CannotReportYourself();
                break;
            case "User":
                if (content.Id == actor.Id) throw StoatException.CannotReportYourself();
                _ = await users.GetAsync(content.Id, cancellationToken) ?? throw StoatException.UnknownUser();
                break;
            default:
                throw StoatException.FailedValidation("content.type must be Message, Server or User");
        }
        var report = new Report(SecureTokens.NewId(), actor.Id, content, context, new ReportStatus("Created"), "");
        await reports.CreateAsync(report, cancellationToken);
        // The reported message's files are evidence: Autumn keeps them even if the message is deleted.
        if (reported?.Attachments is { Count: > 0 } attachments) await files.MarkReportedAsync(attachments.Select(a => a.Id).ToList(), cancellationToken);
        await events.PublishAsync(EventPublisher.ModerationTopic, new ReportCreateEvent(report));
        return report;
    }

    /// <summary>A message of a channel the actor can see; any other is answered as one that does not exist, so ids cannot be probed.</summary>
    private async Task<Message> VisibleMessageAsync(User actor, string messageId, CancellationToken cancellationToken)
    {
        var message = await messages.FindAsync(messageId, cancellationToken);
        if (message is null || await channels.GetAsync(message.Channel, cancellationToken) is not { } channel
            || !(await access.InChannelAsync(actor, channel, cancellationToken)).Permissions.HasFlag(ChannelPermission.ViewChannel))
            throw StoatException.UnknownMessage();
        return message;
    }
}
