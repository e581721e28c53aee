using System.Text.Json.Serialization;
using Spokes.Api.Storage;

namespace Spokes.Api.Models;

public sealed record CreateBotRequest(string? Name);

public sealed record EditBotRequest(string? Name, bool? Public, bool? Analytics, string? InteractionsUrl, List<string>? Remove);

/// <summary>Stoat's <c>InviteBotDestination</c>: a server or a group.</summary>
public sealed record InviteBotRequest(string? Server, string? Group);

/// <summary>Stoat's <c>BotWithUserResponse</c>: the bot's fields with its user beside them.</summary>
public sealed record BotWithUserResponse(
    [property: JsonPropertyName("_id")] string Id,
    string Owner,
    string Token,
    bool Public,
    bool Analytics,
    bool Discoverable,
    string? InteractionsUrl,
    UserResponse User)
{
    public static BotWithUserResponse Of(Bot bot, UserResponse user) =>
        new(bot.Id, bot.Owner, bot.Token, bot.Public, bot.Analytics, bot.Discoverable, bot.InteractionsUrl, user);
}

public sealed record OwnedBotsResponse(IReadOnlyList<Bot> Bots, IReadOnlyList<UserResponse> Users);

public sealed record FetchBotResponse(Bot Bot, UserResponse User);

public sealed record PublicBotResponse([property: JsonPropertyName("_id")] string Id, string Username, string? Description);
