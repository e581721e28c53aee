using Spokes.Api.Errors;
using Spokes.Api.Identity;
using Spokes.Api.Storage;

namespace Spokes.Api.Users;

public static class UserCreation
{
    /// <summary>
    /// Creates the user that <paramref name="withDiscriminator"/> makes under a random free discriminator of
    /// <paramref name="username"/>, picking again when a concurrent sign-up takes it first.
    /// </summary>
    public static async Task<User> CreateAsync(IUserStore users, string username, Func<string, User> withDiscriminator, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var discriminator = AccountRules.PickDiscriminator(await users.DiscriminatorsInUseAsync(username, cancellationToken))
                                ?? throw StoatException.UsernameTaken();
            var user = withDiscriminator(discriminator);
            try
            {
                await users.CreateAsync(user, cancellationToken);
                return user;
            }
            catch (DuplicateKeyException e) when (e.Field == "username")
            {
            }
        }
        throw StoatException.UsernameTaken();
    }
}
