package dev.iommufdsim.dsl;

/** The two machine declarations: {@code iommu NAME = driver(...)} and {@code device NAME = kind(...)}. */
public enum DeclKind {
    IOMMU("iommu"), DEVICE("device");

    private final String keyword;

    DeclKind(String keyword) {
        this.keyword = keyword;
    }

    /** The word that starts the declaration. */
    public String keyword() {
        return keyword;
    }

    /** The kind a declaration word names, or null. */
    public static DeclKind byKeyword(String word) {
        for (DeclKind k : values()) {
            if (k.keyword.equals(word)) {
                return k;
            }
        }
        return null;
    }
}
