using Microsoft.AspNetCore.Http.HttpResults;
using Spokes.Api.Identity;
using Spokes.Api.Models;

namespace Spokes.Api.Apis;

/// <summary>Stoat's <c>/users</c> routes.</summary>
public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/users").WithTags("User Information");
        users.MapGet("/@me", FetchSelf).WithName("fetch_self_fetch").WithSummary("Fetch Self");
        return app;
    }

    public static Ok<UserResponse> FetchSelf(CurrentUser current) => TypedResults.Ok(UserResponse.Self(current.User));
}
