namespace Spokes.AppHost.Suite;

internal static class ResourceModelExtensions
{
    /// <summary>Aspire's hidden helpers that start only when asked (each project's "rebuilder"): not part of the suite.</summary>
    public static bool IsHiddenHelper(this IResource resource) =>
        resource.TryGetLastAnnotation<ExplicitStartupAnnotation>(out _);

    /// <summary>A server the operator runs outside the suite for one feature (their LiveKit): the suite is up without it.</summary>
    public static IResourceBuilder<T> WithoutStartupWait<T>(this IResourceBuilder<T> builder) where T : IResource =>
        builder.WithAnnotation(new NotAwaitedAtStartupAnnotation());

    public static bool IsAwaitedAtStartup(this IResource resource) =>
        !resource.TryGetLastAnnotation<NotAwaitedAtStartupAnnotation>(out _);
}

internal sealed class NotAwaitedAtStartupAnnotation : IResourceAnnotation;
