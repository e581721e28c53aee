namespace Spokes.Api.Storage;

/// <summary>
/// Ids are ULIDs, whose text sorts by creation time: the smallest id of a moment bounds "created before" queries
/// without a time column.
/// </summary>
public static class UlidBound
{
    public static string Before(DateTimeOffset moment) => Ulid.NewUlid(moment, new byte[10]).ToString();
}
