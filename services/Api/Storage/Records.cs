namespace Spokes.Api.Storage;

/// <summary>A login identity (authifier's account). Its id is also the id of the user it onboards into.</summary>
public sealed record Account(
    string Id,
    string Email,
    string EmailNormalised,
    string PasswordHash,
    bool Verified,
    bool Disabled,
    DateTimeOffset CreatedAt);

/// <summary>A logged-in device: its secret token and the name the user gave it.</summary>
public sealed record Session(string Id, string UserId, string Token, string Name, DateTimeOffset LastSeen);

/// <summary>A user as stored; what clients see is built from it per viewer.</summary>
public sealed record User(
    string Id,
    string Username,
    string Discriminator,
    string? DisplayName,
    int Badges,
    int Flags,
    bool Privileged,
    DateTimeOffset CreatedAt,
    string? StatusText = null,
    string? StatusPresence = null,
    string? ProfileContent = null);

/// <summary>A write that would break a uniqueness rule; <see cref="Field"/> names the rule.</summary>
public sealed class DuplicateKeyException(string field) : Exception($"Another record already has this {field}.")
{
    public string Field { get; } = field;
}
