/**
 * The keys of an options type for a `knownKeys` check, listed once and checked by the compiler
 * against the type: a key of `T` left out of the list, or a name that is not a key of `T`, is a
 * type error where the list is written. So a new option cannot be forgotten by the check that
 * refuses unknown options.
 *
 * @example
 * ```ts
 * const keys = optionKeys<RateLimiterOptions>()("name", "perSecond", ...);
 * ```
 */
export function optionKeys<T extends object>() {
  return <const K extends readonly (keyof T & string)[]>(
    ...keys: K &
      (Exclude<keyof T & string, K[number]> extends never
        ? unknown
        : { readonly missing: Exclude<keyof T & string, K[number]> })
  ): readonly string[] => keys;
}
