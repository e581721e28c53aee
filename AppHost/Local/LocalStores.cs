namespace Spokes.AppHost.Local;

/// <summary>
/// The local profile's stand-ins for MongoDB and S3: a SQLite file and a folder under the data folder. Each is
/// a connection string (the services pick their store provider by its form) whose health is its folder being
/// writable.
/// </summary>
public static class LocalStores
{
    public static IResourceBuilder<ConnectionStringResource> AddSqliteDatabase(this IDistributedApplicationBuilder builder, string name,
        string folder, string database) =>
        builder.AddConnectionString(name, ReferenceExpression.Create($"Data Source={Path.Combine(folder, database + ".db")}"))
            .WithProbe(_ => ResourceProbes.WritableFolder(folder))
            .WithIconName("Database");

    public static IResourceBuilder<ConnectionStringResource> AddFileFolder(this IDistributedApplicationBuilder builder, string name, string folder) =>
        builder.AddConnectionString(name, ReferenceExpression.Create($"Folder={folder}"))
            .WithProbe(_ => ResourceProbes.WritableFolder(folder))
            .WithIconName("Folder");
}
