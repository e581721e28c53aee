using System.Text.RegularExpressions;
using Spokes.Api.Errors;
using Spokes.Api.Events;
using Spokes.Api.Files;
using Spokes.Api.Identity;
using Spokes.Api.Models;
using Spokes.Api.Storage;
using Spokes.Contracts.Files.V1;

namespace Spokes.Api.Users;

/// <summary>What users change of themselves (Stoat's <c>PATCH /users/@me</c>), told to everyone watching them as <c>UserUpdate</c>.</summary>
public sealed partial class ProfileService(IUserStore users, IAccountStore accounts, IPasswordHasher hasher, UserUpdatePublisher userUpdates,
    PresenceReader presence, IFileClaims files)
{
    private static readonly HashSet<string> Presences = ["Online", "Idle", "Focus", "Busy", "Invisible"];
    private static readonly HashSet<string> RemovableFields = ["Avatar", "StatusText", "StatusPresence", "ProfileContent", "ProfileBackground", "DisplayName"];

    /// <summary>Where each removable field is kept in Stoat's user document.</summary>
    private static readonly Dictionary<string, string> StoredFields = new()
    {
        ["DisplayName"] = "display_name", ["StatusText"] = "status.text", ["StatusPresence"] = "status.presence", ["ProfileContent"] = "profile.content",
        ["Avatar"] = "avatar", ["ProfileBackground"] = "profile.background",
    };

    [GeneratedRegex("^[^\u200B\n\r]+$", RegexLimits.UserInput, RegexLimits.MatchTimeoutMilliseconds)]
    private static partial Regex DisplayNameShape();

    public async Task<UserResponse> EditAsync(User actor, string target, EditUserRequest request, CancellationToken cancellationToken)
    {
        // Bots owned by the user will be editable here too; other users never are.
        if (target != "@me" && target != actor.Id) throw StoatException.NotFound();
        var remove = request.Remove ?? [];
        if (remove.FirstOrDefault(f => !RemovableFields.Contains(f)) is { } unknown) throw StoatException.FailedValidation($"cannot remove '{unknown}'");
        if ((request.Badges is not null || request.Flags is not null) && !actor.Privileged) throw StoatException.NotPrivileged();
        Validate(request);

        var updated = actor with
        {
            DisplayName = remove.Contains("DisplayName") ? null : actor.DisplayName,
            StatusText = remove.Contains("StatusText") ? null : actor.StatusText,
            StatusPresence = remove.Contains("StatusPresence") ? null : actor.StatusPresence,
            ProfileContent = remove.Contains("ProfileContent") ? null : actor.ProfileContent,
            Avatar = remove.Contains("Avatar") ? null : actor.Avatar,
            ProfileBackground = remove.Contains("ProfileBackground") ? null : actor.ProfileBackground,
        };
        // Only the fields named are written, so two edits at once (say, from two devices) both hold.
        var update = new FieldUpdate();
        foreach (var field in remove.Where(StoredFields.ContainsKey)) update.Unset(StoredFields[field]);
        var data = new Dictionary<string, object?>();
        if (request.DisplayName is { } displayName)
        {
            updated = updated with { DisplayName = displayName };
            update.Set("display_name", displayName);
            data["display_name"] = displayName;
        }
        if (request.Status is { } status)
        {
            updated = updated with { StatusText = status.Text ?? updated.StatusText, StatusPresence = status.Presence ?? updated.StatusPresence };
            if (status.Text is not null) update.Set("status.text", status.Text);
            if (status.Presence is not null) update.Set("status.presence", status.Presence);
            data["status"] = UserStatusResponse.Of(updated);
        }
        if (request.Profile?.Content is { } content)
        {
            updated = updated with { ProfileContent = content };
            update.Set("profile.content", content);
        }
        if (request.Badges is { } badges)
        {
            updated = updated with { Badges = badges };
            update.Set("badges", badges);
            data["badges"] = badges;
        }
        if (request.Flags is { } flags)
        {
            updated = updated with { Flags = flags };
            update.Set("flags", flags);
            data["flags"] = flags;
        }

        // The files last, once everything else is known to be valid, so a refused edit claims nothing.
        var claimed = new List<AutumnFile>();
        if (request.Avatar is { } avatarId)
        {
            var avatar = await files.ClaimOneAsync(avatarId, FileTags.Avatars, actor.Id, new FileUse { Kind = FileUseKind.UserAvatar, Id = actor.Id }, cancellationToken);
            claimed.Add(avatar);
            updated = updated with { Avatar = avatar };
            update.Set("avatar", avatar);
            data["avatar"] = avatar;
        }
        if (request.Profile?.Background is { } backgroundId)
        {
            var background = await files.ReleaseIfFailsAsync(claimed, () => files.ClaimOneAsync(backgroundId, FileTags.Backgrounds, actor.Id,
                new FileUse { Kind = FileUseKind.UserBackground, Id = actor.Id }, cancellationToken));
            claimed.Add(background);
            updated = updated with { ProfileBackground = background };
            update.Set("profile.background", background);
        }

        if (update.HasChanges)
        {
            await files.ReleaseIfFailsAsync(claimed, async () =>
                await users.UpdateProfileAsync(actor.Id, update, cancellationToken) ? true : throw StoatException.NotFound());
            // What the edit replaced or removed is no longer used.
            await files.ReleaseAsync([
                actor.Avatar == updated.Avatar ? null : actor.Avatar,
                actor.ProfileBackground == updated.ProfileBackground ? null : actor.ProfileBackground,
            ], cancellationToken);
            await userUpdates.PublishAsync(new UserUpdateEvent(actor.Id, data, remove, SecureTokens.NewId()), cancellationToken);
        }
        return UserResponse.Self(updated, await presence.IsConnectedAsync(actor.Id));
    }

    /// <summary>
    /// A new username, confirmed with the account's password. The discriminator stays when it is free under
    /// the new name; otherwise a free one is picked.
    /// </summary>
    public async Task<UserResponse> ChangeUsernameAsync(User actor, ChangeUsernameRequest request, CancellationToken cancellationToken)
    {
        var account = await accounts.GetAsync(actor.Id, cancellationToken);
        if (request.Password is null || !await hasher.VerifyAsync(request.Password, account?.PasswordHash)) throw StoatException.InvalidCredentials();
        var username = AccountRules.ValidateUsername(request.Username);
        var renamed = username == actor.Username ? actor : await RenameAsync(actor, username, cancellationToken);
        return UserResponse.Self(renamed, await presence.IsConnectedAsync(actor.Id));
    }

    /// <summary>
    /// Gives <paramref name="user"/> a valid new <paramref name="username"/>, keeping the discriminator when it is
    /// free under that name, and tells their sockets (<c>UserUpdate</c>).
    /// </summary>
    public async Task<User> RenameAsync(User user, string username, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var taken = await users.DiscriminatorsInUseAsync(username, cancellationToken);
            var onlyCase = string.Equals(username, user.Username, StringComparison.OrdinalIgnoreCase);
            var discriminator = AccountRules.DiscriminatorForRename(user.Discriminator, taken, onlyCase) ?? throw StoatException.UsernameTaken();
            try
            {
                await users.ChangeUsernameAsync(user.Id, username, discriminator, cancellationToken);
            }
            catch (DuplicateKeyException)
            {
                // Someone took that pair meanwhile: pick again.
                continue;
            }
            await userUpdates.PublishAsync(new UserUpdateEvent(user.Id,
                new Dictionary<string, object?> { ["username"] = username, ["discriminator"] = discriminator }, [], SecureTokens.NewId()), cancellationToken);
            return user with { Username = username, Discriminator = discriminator };
        }
        throw StoatException.UsernameTaken();
    }

    private static void Validate(EditUserRequest request)
    {
        if (request.DisplayName is { } name && (name.Length is < 2 or > 32 || !DisplayNameShape().IsMatch(name)))
            throw StoatException.FailedValidation("display_name must be 2–32 characters on one line");
        if (request.Status?.Text is { Length: > 128 }) throw StoatException.FailedValidation("status.text must be at most 128 characters");
        if (request.Status?.Presence is { } presence && !Presences.Contains(presence))
            throw StoatException.FailedValidation($"status.presence must be one of {string.Join(", ", Presences)}");
        if (request.Profile?.Content is { Length: > 2000 }) throw StoatException.FailedValidation("profile.content must be at most 2000 characters");
    }
}
