// The layout reads this cookie while it prerenders, so a reload starts in the chosen theme without a flash.
export function remember(name, theme) {
    document.cookie = `${name}=${theme}; path=/; max-age=31536000; samesite=lax`;
}
