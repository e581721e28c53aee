namespace Spokes.AppHost.Suite;

internal static class ResourceModelExtensions
{
    /// <summary>Aspire's hidden helpers that start only when asked (each project's "rebuilder"): not part of the suite.</summary>
    public static bool IsHiddenHelper(this IResource resource) =>
        resource.TryGetLastAnnotation<ExplicitStartupAnnotation>(out _);
}
