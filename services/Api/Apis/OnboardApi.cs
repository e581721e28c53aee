using Microsoft.AspNetCore.Http.HttpResults;
using Spokes.Api.Identity;
using Spokes.Api.Models;
using Spokes.Api.Storage;

namespace Spokes.Api.Apis;

/// <summary>Stoat's <c>/onboard</c> routes: a new account chooses its username before it can do anything else.</summary>
public static class OnboardApi
{
    public static IEndpointRouteBuilder MapOnboardApi(this IEndpointRouteBuilder app)
    {
        var onboard = app.MapGroup("/onboard").WithTags("Onboarding");
        onboard.MapGet("/hello", Hello).WithName("hello_hello").WithSummary("Check Onboarding Status");
        onboard.MapPost("/complete", Complete).WithName("complete_complete").WithSummary("Complete Onboarding");
        return app;
    }

    public static async Task<Ok<OnboardingStatus>> Hello(CurrentSession current, IUserStore users, CancellationToken cancellationToken) =>
        TypedResults.Ok(new OnboardingStatus(await users.GetAsync(current.Session.UserId, cancellationToken) is null));

    public static async Task<Ok<UserResponse>> Complete(OnboardRequest request, CurrentSession current, AccountService accounts,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await accounts.OnboardAsync(current.Session, request, cancellationToken));
}
