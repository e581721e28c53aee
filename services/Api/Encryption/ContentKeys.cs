using System.Collections.Concurrent;
using System.Security.Cryptography;
using Spokes.Api.Storage;

namespace Spokes.Api.Encryption;

/// <summary>The master password does not open the store's keys, or the store cannot be opened with one.</summary>
public sealed class MasterPasswordException(string message) : Exception(message);

/// <summary>
/// The data keys of this run: each channel's (its messages, embeds and description) and the outbox's, made on first
/// use, kept in the store wrapped by the master key, and unwrapped once into memory. The master password is asked
/// for only at start (<see cref="OpenAsync"/>).
/// </summary>
public sealed class ContentKeys(IKeyringStore keyring)
{
    public const string HeaderId = "master";
    private const string NextHeaderId = "master-next";
    private const string OutboxScope = "outbox";
    private const int MaxUnwrappedKeys = 10_000;

    private readonly ConcurrentDictionary<string, byte[]> _keys = new();
    private MasterKey? _master;

    public static string ChannelScope(string channelId) => "channel:" + channelId;

    /// <summary>
    /// Opens the store's keys with <paramref name="password"/>; a store that has none gets its header now, and one
    /// written before encryption at rest the mark of <see cref="PlaintextMigration"/>, which seals it next. Throws
    /// <see cref="MasterPasswordException"/> for a wrong password.
    /// </summary>
    public async Task OpenAsync(string password, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(password)) throw new MasterPasswordException("No master password was given (Api:MasterPassword, SPOKES_MASTER_PASSWORD for the AppHost).");
        if (await keyring.GetAsync(HeaderId, cancellationToken) is { } stored)
        {
            _master = MasterKey.Open(password, MasterKeyHeader.Parse(stored))
                ?? throw new MasterPasswordException("The master password does not open this data: start with the one it was created with.");
            return;
        }
        // A store written before encryption at rest is sealed by PlaintextMigration once the header exists. Its marker
        // goes first: a start cut short before the header leaves the store as it was, one cut short after it resumes.
        if (await keyring.HoldsChannelsAsync(cancellationToken))
            await keyring.AddAsync(PlaintextMigration.MarkerId, PlaintextMigration.FirstStage, cancellationToken);
        var (master, header) = MasterKey.Create(password);
        var kept = await keyring.AddAsync(HeaderId, header.ToJson(), cancellationToken);
        // Another replica made the header first: its salt is the one to use.
        _master = kept == header.ToJson() ? master : MasterKey.Open(password, MasterKeyHeader.Parse(kept))
            ?? throw new MasterPasswordException("The master password does not open this data: start with the one it was created with.");
    }

    public Task<byte[]> ChannelKeyAsync(string channelId, CancellationToken cancellationToken = default) => DataKeyAsync(ChannelScope(channelId), cancellationToken);

    public Task<byte[]> OutboxKeyAsync(CancellationToken cancellationToken = default) => DataKeyAsync(OutboxScope, cancellationToken);

    private async Task<byte[]> DataKeyAsync(string scope, CancellationToken cancellationToken)
    {
        if (_keys.TryGetValue(scope, out var cached)) return cached;
        var master = _master ?? throw new InvalidOperationException("The content keys are used before the master password opened them.");
        var wrapped = await keyring.GetAsync(scope, cancellationToken)
            ?? await keyring.AddAsync(scope, master.Wrap(scope, RandomNumberGenerator.GetBytes(32)), cancellationToken);
        // Bounded: past it, the keys are unwrapped again as channels are used (one AES-GCM open each).
        if (_keys.Count >= MaxUnwrappedKeys) _keys.Clear();
        return _keys.GetOrAdd(scope, master.Unwrap(scope, wrapped));
    }

    /// <summary>
    /// Re-wraps every data key of the store under <paramref name="newPassword"/>, with a new salt; messages stay as
    /// they are. The new header is kept first (<c>master-next</c>) and becomes the header last, so a rotation cut short
    /// (MongoDB writes entry by entry) still opens with the old password and finishes when run again.
    /// </summary>
    public static async Task RotateAsync(IKeyringStore keyring, string oldPassword, string newPassword, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(newPassword)) throw new MasterPasswordException("The new master password is empty.");
        var stored = await keyring.GetAsync(HeaderId, cancellationToken)
            ?? throw new MasterPasswordException("This database has no master key yet: start Spokes once with a master password first.");
        using var old = MasterKey.Open(oldPassword, MasterKeyHeader.Parse(stored))
            ?? throw new MasterPasswordException("The master password does not open this data.");
        var pending = await keyring.GetAsync(NextHeaderId, cancellationToken) is { } json ? MasterKeyHeader.Parse(json) : null;
        var next = pending is null ? null : MasterKey.Open(newPassword, pending);
        if (next is null)
        {
            (next, pending) = MasterKey.Create(newPassword);
            await keyring.ReplaceAsync(new Dictionary<string, string> { [NextHeaderId] = pending.ToJson() }, cancellationToken);
        }
        using (next)
        {
            var entries = new Dictionary<string, string>();
            foreach (var (scope, wrapped) in await keyring.ListAsync(cancellationToken))
            {
                if (scope is HeaderId or NextHeaderId) continue;
                entries[scope] = Rewrap(old, next, scope, wrapped);
            }
            entries[HeaderId] = pending!.ToJson();
            await keyring.ReplaceAsync(entries, cancellationToken);
        }
    }

    /// <summary>The data key wrapped by <paramref name="next"/>: unwrapped with the old key, or kept when an earlier run re-wrapped it.</summary>
    private static string Rewrap(MasterKey old, MasterKey next, string scope, string wrapped)
    {
        byte[] key;
        try
        {
            key = old.Unwrap(scope, wrapped);
        }
        catch (CryptographicException)
        {
            try
            {
                next.Unwrap(scope, wrapped);
                return wrapped;
            }
            catch (CryptographicException)
            {
                throw new MasterPasswordException($"The key of {scope} opens with neither password: the keyring is damaged.");
            }
        }
        var rewrapped = next.Wrap(scope, key);
        CryptographicOperations.ZeroMemory(key);
        return rewrapped;
    }
}
